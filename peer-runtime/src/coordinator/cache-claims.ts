/**
 * Cache announcements are claims (issue 10): which of a peer's announced hashes the coordinator believes, and the
 * receipts (receipts.ts) that make a later announcement believable.
 *
 * - **Issuing.** When a result is accepted (outcomes.ts `succeed`: after its quorum when the run verifies), each
 *   peer that holds the accepted value gets a receipt for it: `result:receipts`, MACed with the mesh's receipt
 *   key, with the digest the coordinator accepted and whether a verify policy accepted it.
 * - **Believing.** An announced hash counts (its announcer becomes a holder) when
 *   1. it comes with a receipt of this mesh for that hash: the receipt's digest becomes the one fetchers check
 *      the holder's bytes against, and a `verified` receipt makes it a cache hit for verified runs too; or
 *   2. this coordinator recorded a digest for the hash from a result it accepted (this session), so every
 *      fetcher can check what the announcer serves; or
 *   3. the announcer's token carries the mesh owner's `trusted` claim.
 *   A receipt that does not check (forged, or for another hash) is refused (`peer:status receipt`, counted and
 *   logged with the peer id) and its hash ignored, even from a trusted peer: someone forged it. Anything else is
 *   ignored: the function is recomputed when a run needs it. So after a restart (no digests recorded) only
 *   receipted and trusted announcements are served from cache.
 *
 * Without a mesh key (in-process meshes and tests) no receipt is issued or checked and rules 2 and 3 apply.
 */
import { digestOf } from '../mesh/fetch-grants.js';
import type { MemberDirectory } from '../mesh/members.js';
import type { MeshPort } from '../mesh/port.js';
import type { Refusals } from '../mesh/refusals.js';
import type { ResultReceipt } from '../protocol/messages.js';
import type { InputLoc } from './dispatcher.js';
import type { ReceiptIssuer } from './receipts.js';
import type { ResultDirectory } from './result-directory.js';

export interface CacheClaimsDeps {
  readonly port: MeshPort;
  readonly directory: ResultDirectory;
  readonly members: MemberDirectory;
  readonly refusals: Refusals;
  /** Undefined without a mesh key: no receipts. */
  readonly receipts: ReceiptIssuer | undefined;
  /** A `verified` receipt: a verified run may take `hash` from `holder` (verify.ts `receipted`). */
  readonly onVerifiedReceipt?: (hash: string, holder: string, digest: Uint8Array) => void;
}

export class CacheClaims {
  /** Receipts and holders since this turn began: one `result:receipts` per holder per turn. */
  private outbox = new Map<string, ResultReceipt[]>();

  constructor(private readonly deps: CacheClaimsDeps) {}

  /** A result was accepted at `location` (`verified`: under a verify policy): its holders get receipts. */
  accepted(location: InputLoc, verified: boolean): void {
    const issuer = this.deps.receipts;
    if (!issuer || location.holders.length === 0) return;
    const digest = location.digest ?? (location.inline && digestOf(location.inline));
    if (digest === undefined) return; // nothing a fetcher could check: no receipt
    const receipt = issuer.issue(location.hash, digest, verified);
    const self = this.deps.port.peerId;
    const first = this.outbox.size === 0;
    for (const holder of location.holders) {
      if (holder === self) continue;
      let list = this.outbox.get(holder);
      if (!list) {
        list = [];
        this.outbox.set(holder, list);
      }
      list.push(receipt);
    }
    if (first && this.outbox.size > 0) queueMicrotask(() => this.flush());
  }

  /** The `added` hashes (and their `receipts`) of a `peer:status` from `from`. */
  announced(from: string, added: readonly string[], receipts: readonly ResultReceipt[] | undefined): void {
    const { directory, members } = this.deps;
    const byHash = new Map<string, ResultReceipt>();
    for (const r of receipts ?? []) byHash.set(r.hash, r);
    const trusted = members.trusted(from);
    const issuer = this.deps.receipts;
    for (const hash of added) {
      const receipt = byHash.get(hash);
      if (receipt !== undefined && issuer !== undefined) {
        if (issuer.check(hash, receipt) !== 'ok') {
          this.deps.refusals.refuse(
            'peer:status',
            from,
            'receipt',
            `hash ${hash}: its receipt was not issued by a coordinator of this mesh; the hash is ignored`,
          );
          continue;
        }
        directory.add(hash, from, 0, undefined, receipt.digest);
        if (receipt.verified) this.deps.onVerifiedReceipt?.(hash, from, receipt.digest);
        continue;
      }
      if (trusted || directory.checkable(hash)) directory.add(hash, from, 0);
    }
  }

  private flush(): void {
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [holder, receipts] of outbox) {
      this.deps.port.post(holder, { type: 'result:receipts', receipts });
    }
  }
}
