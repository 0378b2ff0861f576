/**
 * SHA-256 (FIPS 180-4) for content hashing at 100,000 functions per DAG.
 *
 * Why not @noble/hashes here: its one-shot `sha256(bytes)` allocates a hasher, a block buffer, a DataView and the
 * digest on every call, and at ~150-byte preimages that allocation (and the garbage collection it causes) costs
 * more than the compression itself. This version keeps its state in module-level typed arrays, takes the message
 * as 32-bit words (so a preimage made mostly of digests is never split into bytes) and writes the digest into
 * an array the caller owns: hashing a preimage allocates nothing. It is plain JavaScript with 32-bit integer
 * arithmetic, so Node and every browser compute the same bits; the tests compare it with node:crypto on inputs
 * of every length around the block boundaries. Sharing the scratch state is safe because every call is
 * synchronous and finishes before another starts.
 */

// biome-ignore format: the 64 round constants read better in rows of eight.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const state = new Int32Array(8);
const w = new Int32Array(64);

/** Fold the 16 message words at `words[offset]` into `state`. */
function compress(words: Int32Array, offset: number): void {
  for (let t = 0; t < 16; t++) w[t] = words[offset + t]!;
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t]! + w[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Words a message of `byteLength` bytes occupies once padded: what {@link sha256Words} needs room for. */
export function paddedWords(byteLength: number): number {
  return (Math.floor((byteLength + 8) / 64) + 1) * 16;
}

/**
 * SHA-256 of a message held as big-endian 32-bit words (byte j is the (j mod 4)-th most significant byte of
 * `words[j >> 2]`), written as 8 words at `out[outOffset]`. Working in words is what makes this fast: the
 * fixed-size fields of a preimage (digests, counts) are copied word by word and never split into bytes.
 * Pads in place: `words` must have {@link paddedWords}(byteLength) words; those past the message are
 * overwritten, as are the bits of the last message word past `byteLength`.
 */
export function sha256Words(words: Int32Array, byteLength: number, out: Int32Array, outOffset: number): void {
  const total = paddedWords(byteLength);
  const last = byteLength >> 2;
  const shift = 24 - 8 * (byteLength & 3);
  // The 0x80 byte right after the message; the message's own bytes in that word are kept.
  const kept = shift === 24 ? 0 : words[last]! & ~((1 << (shift + 8)) - 1);
  words[last] = kept | (0x80 << shift);
  for (let i = last + 1; i < total; i++) words[i] = 0;
  // The length in bits as a 64-bit big-endian integer.
  words[total - 2] = Math.floor(byteLength / 0x20000000);
  words[total - 1] = byteLength << 3;
  // Loops, not TypedArray#set: for eight words a call into the runtime costs more than the copy.
  for (let i = 0; i < 8; i++) state[i] = INITIAL[i]!;
  for (let offset = 0; offset < total; offset += 16) compress(words, offset);
  for (let i = 0; i < 8; i++) out[outOffset + i] = state[i]!;
}

let scratch = new Int32Array(64);

/** Write the SHA-256 of `bytes[0 .. length)` as 8 big-endian words at `out[outOffset]`. */
export function sha256Into(bytes: Uint8Array, length: number, out: Int32Array, outOffset: number): void {
  const needed = paddedWords(length);
  if (scratch.length < needed) scratch = new Int32Array(Math.max(needed, scratch.length * 2));
  const words = scratch;
  const full = length >> 2;
  for (let i = 0; i < full; i++) {
    const o = i * 4;
    words[i] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
  }
  let partial = 0;
  for (let j = full * 4; j < length; j++) partial |= bytes[j]! << (24 - 8 * (j & 3));
  words[full] = partial;
  sha256Words(words, length, out, outOffset);
}

/** The two hex digit char codes of every byte value: HEX_CODES[2b] and HEX_CODES[2b + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0');
  HEX_CODES[2 * b] = digits.charCodeAt(0);
  HEX_CODES[2 * b + 1] = digits.charCodeAt(1);
}
/** Reused char codes of one hex digest. A plain array: `String.fromCharCode.apply` is fastest with one. */
const hexCodes: number[] = new Array(64).fill(0);

/**
 * Lower-case hex of the digest held as 8 words at `words[offset]`. One string allocation: concatenating 32
 * two-digit pieces would build (and later flatten) a rope of 32 strings per digest.
 */
export function digestHex(words: Int32Array, offset: number): string {
  for (let i = 0; i < 8; i++) {
    const v = words[offset + i]!;
    for (let k = 0; k < 4; k++) {
      const b = (v >>> (24 - 8 * k)) & 255;
      hexCodes[8 * i + 2 * k] = HEX_CODES[2 * b]!;
      hexCodes[8 * i + 2 * k + 1] = HEX_CODES[2 * b + 1]!;
    }
  }
  return String.fromCharCode.apply(null, hexCodes);
}
