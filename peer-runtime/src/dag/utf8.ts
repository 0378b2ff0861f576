/**
 * UTF-8 encoding into a caller's buffer, byte for byte what `TextEncoder` writes (a lone surrogate becomes
 * U+FFFD). Short strings are written by a plain loop: `TextEncoder.encodeInto` crosses into native code on every
 * call, which for the ~20-character texts of a function's extra arguments costs more than the encoding itself.
 */

const encoder = new TextEncoder();

/** Above this many UTF-16 code units, the native encoder wins. */
const NATIVE_FROM = 256;

/** Most bytes `text` can take in UTF-8 (3 per UTF-16 code unit), for sizing a buffer before {@link writeUtf8}. */
export function maxUtf8Length(text: string): number {
  return text.length * 3;
}

/** Write `text` as UTF-8 at `bytes[at]` and return the offset after it. `bytes` must have {@link maxUtf8Length} room. */
export function writeUtf8(text: string, bytes: Uint8Array, at: number): number {
  const length = text.length;
  if (length > NATIVE_FROM) return at + encoder.encodeInto(text, bytes.subarray(at)).written;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes[at++] = c;
    } else if (c < 0x800) {
      bytes[at++] = 0xc0 | (c >> 6);
      bytes[at++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes[at++] = 0xf0 | (c >> 18);
        bytes[at++] = 0x80 | ((c >> 12) & 63);
        bytes[at++] = 0x80 | ((c >> 6) & 63);
        bytes[at++] = 0x80 | (c & 63);
      } else {
        // A lone surrogate: U+FFFD, as TextEncoder does.
        bytes[at++] = 0xef;
        bytes[at++] = 0xbf;
        bytes[at++] = 0xbd;
      }
    } else {
      bytes[at++] = 0xe0 | (c >> 12);
      bytes[at++] = 0x80 | ((c >> 6) & 63);
      bytes[at++] = 0x80 | (c & 63);
    }
  }
  return at;
}
