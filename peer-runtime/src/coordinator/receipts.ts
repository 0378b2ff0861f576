/**
 * Cache receipts: a coordinator's MAC over what it accepted, so that a cache announcement can be checked after
 * the coordinator restarted and forgot every digest it had recorded (issue 10, "cache announcements are claims").
 *
 * ```
 * receiptKey = HKDF-SHA256(ikm = mesh key, salt = "handout/receipt-key/v1", info = "receipts")
 * mac        = HMAC-SHA256(receiptKey, hash ‖ 0 ‖ hex(digest) ‖ 0 ‖ verified (1|0) ‖ 0 ‖ issuer ‖ 0 ‖ issuedAt)[0..16]
 * ```
 *
 * Expiry: a receipt carries its issue time (`issuedAt`, epoch ms, under the MAC), and a coordinator believes it
 * for `ttlMs` after that (default 30 days): a result nobody accepted again for that long is recomputed rather
 * than believed on an old word. A receipt from before issue times existed (no `issuedAt`: the MAC then covers
 * the first four fields only) is expired unless the TTL is infinite: its age cannot be known, and believing it as
 * "issued now" would hold at every showing, so it would never expire (docs/security.md, "Receipts from before
 * issue times"; after an upgrade such a result is recomputed once). An expired receipt is not a forgery: its
 * hash counts as a claim without a receipt (cache-claims.ts), and the coordinator issues a fresh one when it can
 * check the hash again.
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
import { DEFAULT_RECEIPT_TTL_MS, type ResultReceipt } from '../protocol/receipt-messages.js';

export const RECEIPT_KEY_SALT = 'handout/receipt-key/v1';
const MAC_BYTES = 16;
const encoder = new TextEncoder();

/** The mesh's receipt key, derived from its mesh key. */
export function receiptKey(meshKey: Uint8Array): Uint8Array {
  return hkdf(sha256, meshKey, encoder.encode(RECEIPT_KEY_SALT), encoder.encode('receipts'), 32);
}

export type ReceiptVerdict = 'ok' | 'forged' | 'other-hash' | 'expired';

export interface ReceiptIssuerOptions {
  /** How long after `issuedAt` a receipt is believed, ms (Infinity: forever). Default DEFAULT_RECEIPT_TTL_MS. */
  readonly ttlMs?: number;
  /** The clock (epoch ms). Default Date.now. */
  readonly now?: () => number;
}

/** Issues and checks receipts with the mesh's receipt key (coordinator side; symmetric). */
export class ReceiptIssuer {
  private readonly key: Uint8Array;
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    meshKey: Uint8Array,
    /** This coordinator's peer id, named in the receipts it issues. */
    private readonly issuer: string,
    options: ReceiptIssuerOptions = {},
  ) {
    this.key = receiptKey(meshKey);
    this.ttlMs = options.ttlMs ?? DEFAULT_RECEIPT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  issue(hash: string, digest: Uint8Array, verified: boolean): ResultReceipt {
    const issuer = this.issuer;
    const issuedAt = Math.floor(this.now());
    return {
      hash,
      digest,
      verified,
      issuer,
      issuedAt,
      mac: this.mac(hash, digest, verified, issuer, issuedAt),
    };
  }

  /**
   * Whether `receipt` is one a coordinator of this mesh issued, for `hash`, and still young enough. The MAC is
   * checked first: a forged receipt is `forged` however old it claims to be.
   */
  check(hash: string, receipt: ResultReceipt): ReceiptVerdict {
    if (receipt.hash !== hash) return 'other-hash';
    const expected = this.mac(
      receipt.hash,
      receipt.digest,
      receipt.verified,
      receipt.issuer,
      receipt.issuedAt,
    );
    if (!sameBytes(expected, receipt.mac)) return 'forged';
    if (this.ttlMs === Number.POSITIVE_INFINITY) return 'ok';
    // An issue time ahead of this clock (another coordinator's skew) counts as now, not as a longer life.
    if (receipt.issuedAt === undefined || this.now() - receipt.issuedAt > this.ttlMs) return 'expired';
    return 'ok';
  }

  private mac(
    hash: string,
    digest: Uint8Array,
    verified: boolean,
    issuer: string,
    issuedAt: number | undefined,
  ): Uint8Array {
    const base = `${hash}\0${bytesToHex(digest)}\0${verified ? 1 : 0}\0${issuer}`;
    const text = issuedAt === undefined ? base : `${base}\0${issuedAt}`;
    return hmac(sha256, this.key, encoder.encode(text)).subarray(0, MAC_BYTES);
  }
}

/** The issuer of a coordinator with `meshKey` (none without: in-process meshes issue no receipts). */
export function receiptIssuerFor(
  meshKey: Uint8Array | undefined,
  peerId: string,
  ttlMs: number | undefined,
): ReceiptIssuer | undefined {
  return meshKey ? new ReceiptIssuer(meshKey, peerId, ttlMs !== undefined ? { ttlMs } : {}) : undefined;
}
