/**
 * Small byte strings kept for a long time (a result's digest, a small result's inline bytes) in the form that
 * costs least: a one-byte JS string of their char codes. A 32-byte digest is then a 48-byte string on the heap,
 * where a Uint8Array of its own costs ~200 B (the view, its ArrayBuffer and the backing store's bookkeeping); and
 * bytes that arrived as a view into a larger buffer (a decoded frame, an encoder's scratch buffer) no longer keep
 * that whole buffer alive. The coordinator keeps two such strings per function of every run it holds, so this is
 * most of what a million-function run costs it (issue 16, goal 2). Larger byte strings are kept as given: their
 * own size dominates, and a copy per lookup would cost more than it saves.
 *
 * Reading them back (`unpackBytes`) makes a fresh Uint8Array each time: callers own what they get.
 */

/** Byte strings up to this long are packed into strings. */
export const PACKED_MAX_BYTES = 64;

export type PackedBytes = string | Uint8Array;

export function packBytes(bytes: Uint8Array): PackedBytes {
  if (bytes.byteLength > PACKED_MAX_BYTES) return bytes;
  // Every char code is below 256, so V8 makes a one-byte string: one byte per byte, plus its 16-byte header.
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

export function unpackBytes(packed: PackedBytes): Uint8Array {
  if (typeof packed !== 'string') return packed;
  const bytes = new Uint8Array(packed.length);
  for (let k = 0; k < packed.length; k++) bytes[k] = packed.charCodeAt(k);
  return bytes;
}

/** The byte length of packed bytes. */
export function packedLength(packed: PackedBytes): number {
  return typeof packed === 'string' ? packed.length : packed.byteLength;
}
