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
 *   logged with the peer id) and its hash ignored, even from a trusted peer: someone forged it. An expired
 *   receipt (older than the issuer's TTL: receipts.ts) is no forgery: its hash is judged as one announced
 *   without a receipt. Anything else is ignored: the function is recomputed when a run needs it. So after a
 *   restart (no digests recorded) only receipted and trusted announcements are served from cache.
 * - **Copies.** An announcement believed by rule 2 (a fetched input a consumer kept after checking its bytes
 *   against the digest handed out, or a holder whose receipt expired) earns its announcer a receipt for that
 *   digest, `verified` when a quorum accepted that very digest: so a fetched copy is believed after a restart
 *   too, and a held result's receipt is renewed whenever a coordinator that knows its digest hears of it. A
 *   receipt binds a hash to a digest, not to a holder, so a liar given one can only serve bytes its fetchers
 *   refuse.
 *
 * Without a mesh key (in-process meshes and tests) no receipt is issued or checked and rules 2 and 3 apply.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { digestOf } from '../mesh/fetch-grants.js';
import type { MemberDirectory } from '../mesh/members.js';
import type { MeshPort } from '../mesh/port.js';
import type { Refusals } from '../mesh/refusals.js';
import type { ResultReceipt } from '../protocol/messages.js';
import type { Logger } from '../telemetry/logger.js';
import type { InputLoc } from './dispatcher.js';
import type { ReceiptIssuer } from './receipts.js';
import type { ResultDirectory } from './result-directory.js';
import type { Verification } from './verify.js';

export interface CacheClaimsDeps {
  readonly port: MeshPort;
  readonly directory: ResultDirectory;
  readonly members: MemberDirectory;
  readonly refusals: Refusals;
  /** Undefined without a mesh key: no receipts. */
  readonly receipts: ReceiptIssuer | undefined;
  /**
   * Result verification (verify.ts): told of `verified` receipts (`receipted`: a verified run may take the hash
   * from that holder), and asked which digest a quorum accepted (`acceptedDigest`: a copy's receipt is
   * `verified` only for that digest).
   */
  readonly verification?: () => Pick<Verification, 'receipted' | 'acceptedDigest'>;
  /** Where expired receipts are told (info: a peer back after a long absence). Default silent. */
  readonly log?: Logger;
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
    for (const holder of location.holders) this.queue(holder, receipt);
  }

  /** The `added` hashes (and their `receipts`) of a `peer:status` from `from`. */
  announced(from: string, added: readonly string[], receipts: readonly ResultReceipt[] | undefined): void {
    const { directory, members } = this.deps;
    const byHash = new Map<string, ResultReceipt>();
    for (const r of receipts ?? []) byHash.set(r.hash, r);
    const trusted = members.trusted(from);
    const issuer = this.deps.receipts;
    let expired = 0;
    for (const hash of added) {
      const receipt = byHash.get(hash);
      if (receipt !== undefined && issuer !== undefined) {
        const verdict = issuer.check(hash, receipt);
        if (verdict === 'ok') {
          directory.add(hash, from, 0, undefined, receipt.digest);
          if (receipt.verified) this.deps.verification?.().receipted(hash, from, receipt.digest);
          continue;
        }
        if (verdict !== 'expired') {
          this.deps.refusals.refuse(
            'peer:status',
            from,
            'receipt',
            `hash ${hash}: its receipt was not issued by a coordinator of this mesh; the hash is ignored`,
          );
          continue;
        }
        expired++; // judged below as a hash announced without a receipt
      }
      if (directory.checkable(hash)) {
        directory.add(hash, from, 0);
        this.copyReceipt(hash, from);
      } else if (trusted) directory.add(hash, from, 0);
    }
    if (expired > 0)
      this.deps.log?.info(`${expired} cache receipt(s) from peer '${from}' expired; judged as bare claims`, {
        peer: from,
        count: expired,
        reason: 'receipt-expired',
      });
  }

  /** A receipt for `from`'s copy of `hash`, whose digest this coordinator recorded (rule 2). */
  private copyReceipt(hash: string, from: string): void {
    const issuer = this.deps.receipts;
    const inline = this.deps.directory.get(hash)?.inline;
    const digest = this.deps.directory.digestOf(hash) ?? (inline && digestOf(inline));
    if (!issuer || digest === undefined) return;
    const verified = this.deps.verification?.().acceptedDigest(hash) === bytesToHex(digest);
    this.queue(from, issuer.issue(hash, digest, verified));
  }

  private queue(holder: string, receipt: ResultReceipt): void {
    if (holder === this.deps.port.peerId) return;
    const first = this.outbox.size === 0;
    let list = this.outbox.get(holder);
    if (!list) {
      list = [];
      this.outbox.set(holder, list);
    }
    list.push(receipt);
    if (first) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [holder, receipts] of outbox) {
      this.deps.port.post(holder, { type: 'result:receipts', receipts });
    }
  }
}
