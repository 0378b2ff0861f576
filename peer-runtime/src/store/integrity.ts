/**
 * Integrity of stored results: every store keeps a value as a record — an 8-byte header holding a format version
 * and a checksum of the value — and checks the checksum on every read. A record that fails the check (bit rot, a
 * truncated write, someone editing the database) is treated as missing, deleted and counted in the store's stats.
 *
 * Why xxHash32 and not sha-256: this guards against accidental corruption, not an attacker (anyone who can write
 * the store can write a matching checksum), and it runs on every get. Measured on this machine (Node 20, 64 MiB):
 * @noble/hashes sha-256 took ~690 ms, WebCrypto sha-256 ~330 ms, this pure-JS xxHash32 ~14 ms (about 5 GB/s).
 * It is runtime-neutral (no node:crypto, no async WebCrypto), so every store shares one synchronous check.
 * A random corruption slips past a 32-bit checksum with probability 2^-32; the version byte leaves room to move
 * to a wider checksum later without misreading old records.
 *
 * Record layout: [version=1][0][0][0][xxh32(value) as little-endian u32][value bytes...]
 */

export const RECORD_HEADER_BYTES = 8;
const RECORD_VERSION = 1;

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** xxHash32 (the reference algorithm, https://github.com/Cyan4973/xxHash) of `input`, as an unsigned 32-bit number. */
export function xxh32(input: Uint8Array, seed = 0): number {
  // The fast path reads whole 32-bit words; it needs a 4-byte-aligned little-endian view. Anything else is copied
  // (onto a fresh, aligned buffer) or, on a big-endian machine, read through a DataView.
  let bytes = input;
  if ((bytes.byteOffset & 3) !== 0) bytes = copyOf(bytes);
  const len = bytes.length;
  const words = LITTLE_ENDIAN ? new Uint32Array(bytes.buffer, bytes.byteOffset, len >>> 2) : undefined;
  const view = words ? undefined : new DataView(bytes.buffer, bytes.byteOffset, len);
  const word = (at: number): number => (words ? words[at >>> 2]! : view!.getUint32(at, true)) | 0;

  let p = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = len - 16;
    if (words) {
      let w = 0;
      const lastWord = limit >>> 2;
      for (; w <= lastWord; w += 4) {
        v1 = round(v1, words[w]! | 0);
        v2 = round(v2, words[w + 1]! | 0);
        v3 = round(v3, words[w + 2]! | 0);
        v4 = round(v4, words[w + 3]! | 0);
      }
      p = w << 2;
    } else {
      for (; p <= limit; p += 16) {
        v1 = round(v1, word(p));
        v2 = round(v2, word(p + 4));
        v3 = round(v3, word(p + 8));
        v4 = round(v4, word(p + 12));
      }
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; p + 4 <= len; p += 4) h = Math.imul(rotl((h + Math.imul(word(p), P3)) | 0, 17), P4);
  for (; p < len; p++) h = Math.imul(rotl((h + Math.imul(bytes[p]!, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A fresh record holding a copy of `value` behind its header. */
export function encodeRecord(value: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + value.length);
  record.set(value, RECORD_HEADER_BYTES);
  record[0] = RECORD_VERSION;
  new DataView(record.buffer).setUint32(4, xxh32(value), true);
  return record;
}

/**
 * The value inside `record`, as a fresh copy the caller owns (safe to transfer to a worker), or undefined when
 * the record is corrupt: too short, an unknown version, or a checksum mismatch.
 */
export function decodeRecord(record: Uint8Array): Uint8Array | undefined {
  if (!(record instanceof Uint8Array) || record.length < RECORD_HEADER_BYTES) return undefined;
  if (record[0] !== RECORD_VERSION || record[1] !== 0 || record[2] !== 0 || record[3] !== 0) return undefined;
  const expected = (record[4]! | (record[5]! << 8) | (record[6]! << 16) | (record[7]! << 24)) >>> 0;
  const value = copyOf(record.subarray(RECORD_HEADER_BYTES));
  return xxh32(value) === expected ? value : undefined;
}

/**
 * A plain Uint8Array copy on a fresh, aligned buffer. Not `slice()`: on a Node Buffer (what LMDB returns) slice is
 * a view, which would leave the caller holding memory the database reuses.
 */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** The size of the value inside a record, as stores account for it (the header is not counted). */
export function recordValueSize(record: Uint8Array): number {
  return Math.max(0, record.length - RECORD_HEADER_BYTES);
}
