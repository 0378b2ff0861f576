/**
 * The digest of a result's encoded bytes (protocol/value-codec.ts): hex sha-256, what verification compares
 * replicas by (coordinator/verify.ts) and what `task:result.digest` carries. A cryptographic hash, not the
 * stores' xxHash32 (store/integrity.ts): here the adversary picks the bytes, and must not find a forged value
 * with an honest value's digest. Synchronous (WebCrypto is not) and runtime-neutral: @noble/hashes for large
 * values (it hashes in blocks, no word copy of the whole value), the DAG hasher's allocation-free sha-256 for the
 * small ones that make up almost every result.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { digestHex, sha256Into } from '../dag/sha256.js';

/** Below this, the DAG hasher (one reused scratch) beats a fresh hasher per call. */
const SMALL = 64 * 1024;
const out = new Int32Array(8);

export function valueDigest(bytes: Uint8Array): string {
  if (bytes.byteLength > SMALL) return bytesToHex(sha256(bytes));
  sha256Into(bytes, bytes.byteLength, out, 0);
  return digestHex(out, 0);
}

/**
 * The hex digest of the result a `task:result` reports: computed from its inline bytes when it has them (the
 * peer's own digest is then not needed, nor believed), else the sha-256 the peer reported (fetch-grants.ts checks
 * fetched bytes against it). Undefined when it has neither.
 */
export function resultDigest(msg: {
  readonly inline?: Uint8Array;
  readonly digest?: Uint8Array;
}): string | undefined {
  if (msg.inline !== undefined) return valueDigest(msg.inline);
  return msg.digest === undefined ? undefined : bytesToHex(msg.digest);
}
