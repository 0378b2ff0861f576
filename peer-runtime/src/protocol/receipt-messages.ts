/**
 * Cache receipts on the wire (coordinator/receipts.ts makes and checks them): a coordinator's word that this mesh
 * computed (and, with `verified`, verified) the result of a function hash, with the digest of its bytes. A holder
 * keeps the receipt beside the cached result (agent/receipt-book.ts) and presents it with the hash when it
 * announces its holdings (`peer:status.receipts`), so a coordinator that restarted (and forgot every digest it
 * recorded) can tell a result this mesh accepted from a hash a peer merely claims.
 */

/**
 * How long a receipt is believed after its issue, by default: 30 days (coordinators: CoordinatorOptions
 * .receiptTtlMs; holders drop older ones: agent/receipt-book.ts).
 */
export const DEFAULT_RECEIPT_TTL_MS = 30 * 24 * 3600 * 1000;

export interface ResultReceipt {
  /** The function's content hash (the result store key). */
  readonly hash: string;
  /** SHA-256 of the result's encoded bytes, as accepted: fetchers check what the holder serves against it. */
  readonly digest: Uint8Array;
  /** Accepted under a run's `verify` policy (a quorum, or a clean peer's unreplicated answer: verify.ts). */
  readonly verified: boolean;
  /** The coordinator that accepted it (for records; any coordinator of the mesh can check the MAC). */
  readonly issuer: string;
  /**
   * When it was issued (epoch ms, the issuer's clock): coordinators believe a receipt for their receipt TTL
   * after it (coordinator/receipts.ts). Absent on receipts from before expiry existed (then never believed
   * under a finite TTL).
   */
  readonly issuedAt?: number;
  /** HMAC-SHA256 with the mesh's receipt key over the fields above, 16 bytes. */
  readonly mac: Uint8Array;
}

/** Coordinator → holder: receipts for results it accepted from (or that agreed on) this holder. */
export interface ResultReceiptsMessage {
  readonly type: 'result:receipts';
  readonly receipts: readonly ResultReceipt[];
}
