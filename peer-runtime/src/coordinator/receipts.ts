/**
 * Cache receipts: a coordinator's MAC over what it accepted, so that a cache announcement can be checked after
 * the coordinator restarted and forgot every digest it had recorded (issue 10, "cache announcements are claims").
 *
 * ```
 * receiptKey = HKDF-SHA256(ikm = mesh key, salt = "handout/receipt-key/v1", info = "receipts")
 * mac        = HMAC-SHA256(receiptKey, hash ‖ 0 ‖ hex(digest) ‖ 0 ‖ verified (1|0) ‖ 0 ‖ issuer)[0..16]
 * ```
 *
 * Why the mesh key: it is what every coordinator of a mesh already holds and nobody else does (the signaling
 * server gives it only to members that took `coordinate`: HKDF of the server's `secret` and the mesh name). So a
 * coordinator restarted against the same signaling configuration derives the same receipt key and accepts the
 * receipts it issued before; a standby coordinator accepts the active one's; a contributor, which only ever gets
 * its own fetch key, cannot mint one. Rotating the server's secret invalidates every receipt (the mesh then
 * recomputes what untrusted peers hold), which is the right outcome of a key rotation. A coordinator's token is
 * not the material: it is re-minted at will and is a bearer credential that travels.
 *
 * What a receipt does not bind: the holder. A receipt travels only to the peers the coordinator accepted a result
 * from, and holders announce only to coordinators, but a holder could hand its receipt to another peer. That peer
 * then becomes a holder of a hash whose digest the coordinator knows, and every fetcher checks the bytes it serves
 * against that digest (mesh/fetch-grants.ts): a replayed receipt costs a refused fetch, never a forged value.
 * Leaving the holder out keeps a receipt valid for a copy of the same bytes (an input kept after a fetch).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sameBytes } from '../mesh/fetch-grants.js';
import type { ResultReceipt } from '../protocol/messages.js';

export const RECEIPT_KEY_SALT = 'handout/receipt-key/v1';
const MAC_BYTES = 16;
const encoder = new TextEncoder();

/** The mesh's receipt key, derived from its mesh key. */
export function receiptKey(meshKey: Uint8Array): Uint8Array {
  return hkdf(sha256, meshKey, encoder.encode(RECEIPT_KEY_SALT), encoder.encode('receipts'), 32);
}

export type ReceiptVerdict = 'ok' | 'forged' | 'other-hash';

/** Issues and checks receipts with the mesh's receipt key (coordinator side; symmetric). */
export class ReceiptIssuer {
  private readonly key: Uint8Array;

  constructor(
    meshKey: Uint8Array,
    /** This coordinator's peer id, named in the receipts it issues. */
    private readonly issuer: string,
  ) {
    this.key = receiptKey(meshKey);
  }

  issue(hash: string, digest: Uint8Array, verified: boolean): ResultReceipt {
    const issuer = this.issuer;
    return { hash, digest, verified, issuer, mac: this.mac(hash, digest, verified, issuer) };
  }

  /** Whether `receipt` is one a coordinator of this mesh issued, for `hash`. */
  check(hash: string, receipt: ResultReceipt): ReceiptVerdict {
    if (receipt.hash !== hash) return 'other-hash';
    const expected = this.mac(receipt.hash, receipt.digest, receipt.verified, receipt.issuer);
    return sameBytes(expected, receipt.mac) ? 'ok' : 'forged';
  }

  private mac(hash: string, digest: Uint8Array, verified: boolean, issuer: string): Uint8Array {
    const text = `${hash}\0${bytesToHex(digest)}\0${verified ? 1 : 0}\0${issuer}`;
    return hmac(sha256, this.key, encoder.encode(text)).subarray(0, MAC_BYTES);
  }
}
