/**
 * Result verification on the coordinator: a run with a `verify` policy (verify-quorum.ts) has each of its
 * deterministic functions run on several distinct peers, and a value is accepted only when a quorum of their
 * result digests agrees. How it fits the scheduling loop:
 *
 * - Placement (`placed`): when the dispatcher places a function, `replicas - 1` copies go to other peers at once
 *   (distinct peers: those that answered or run it are excluded, see `exclude`), so replication costs throughput
 *   but not a round trip of latency. A peer with a clean streak (trust-ledger.ts) gets most functions alone and
 *   is replicated at the policy's spot-check rate: BOINC's adaptive replication.
 * - Answers (`answer`): each replica's digest goes into the function's Tally. Accepted → the agreeing peers are
 *   its holders (only they enter the result directory), the losers' attempts are closed with the disagreement and
 *   their ledger records lose; too few answers → more replicas; no quorum possible → the function fails with
 *   reason `unverified`, naming every peer's digest.
 * - Quarantine: a peer whose record goes bad is handed to `onQuarantine` (the coordinator drops it: no work, its
 *   holdings and announcements ignored) and its accepted holdings are forgotten here.
 * - Caches: a verified run takes a cached result only if it was accepted here (`acceptedLocation`), and only from
 *   the peers that agreed on it; a result merely announced, or computed by an unverified run, is recomputed.
 *
 * The digest of a result is computed here from its inline bytes; only results too large to ride inline use the
 * digest the peer reports (a liar could report an honest digest for forged bytes: consumers fetching them check
 * the bytes against the accepted digest, the fetch-side half of the trust boundary).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { TaskError } from '../errors.js';
import type { MeshPort } from '../mesh/port.js';
import type { BatchableMessage } from '../protocol/messages.js';
import { resultDigest } from '../protocol/value-digest.js';
import type { Dispatcher, InputLoc, Outbox } from './dispatcher.js';
import { closeEntry } from './failures.js';
import { inflightKey } from './inflight.js';
import type { Dispatch, PeerLoads } from './peer-loads.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import type { TrustLedger } from './trust-ledger.js';
import { Tally } from './verify-quorum.js';
import { acceptedLocationOf, markLateDisagreement, markVerification, shortDigest } from './verify-record.js';

type ResultMessage = Extract<BatchableMessage, { type: 'task:result' }>;

export interface VerificationDeps {
  readonly port: MeshPort;
  readonly directory: ResultDirectory;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
  readonly ledger: TrustLedger;
  /** Decides spot checks. Default Math.random. */
  readonly random?: () => number;
  /** An accepted value: the function succeeded with `location` (outcomes.ts `succeed`). */
  readonly accept: (run: RunState, index: number, winner: Dispatch, location: InputLoc) => void;
  /** No quorum within the replica limit. */
  readonly fail: (run: RunState, index: number, error: TaskError) => void;
  /** A replica lost a quorum (for events and logs). */
  readonly onDisagreed?: (
    run: RunState,
    index: number,
    peer: string,
    digest: string,
    accepted: string,
  ) => void;
  /** The ledger quarantined `peer`: it must get no more work and its holdings must not be served. */
  readonly onQuarantine: (peer: string, reason: string) => void;
}

/** One answer: who, what digest, and what the location needs if it wins. */
interface Answer {
  readonly d: Dispatch;
  readonly digest: string;
  readonly size: number;
  readonly inline: Uint8Array | undefined;
}

interface Pending {
  readonly tally: Tally;
  readonly answers: Map<string, Answer>;
}

/** A result accepted by a quorum: what a later verified run may take from the cache. */
interface AcceptedResult {
  readonly digest: string;
  readonly size: number;
  readonly inline: Uint8Array | undefined;
  readonly holders: Set<string>;
}

/** Accepted results remembered for cache hits of verified runs; past it the oldest are forgotten (recomputed). */
const MAX_ACCEPTED = 200_000;

export class Verification {
  private readonly pending = new Map<string, Pending>();
  /** Functions placed alone on a peer with a clean record (no spot check drawn). */
  private readonly alone = new Set<string>();
  private readonly accepted = new Map<string, AcceptedResult>();
  /**
   * Replicas cancelled because a quorum agreed without them, by function: their answers may still arrive (the
   * cancel crossed them) and still count for their peer's record, so a liar gains nothing by being slow.
   */
  private readonly cancelled = new Map<string, { digest: string; peers: Map<string, Dispatch> }>();
  private readonly random: () => number;

  constructor(private readonly deps: VerificationDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** Whether function `i` of `run` is verified: it has a policy (its own or the run's) and is deterministic. */
  covers(run: RunState, i: number): boolean {
    return run.verifyOf(i) !== undefined && run.specs[i]!.deterministic !== false;
  }

  quarantined(peer: string): boolean {
    return this.deps.ledger.quarantined(peer);
  }

  /** Peers that must not get another replica of `i`: they answered it already. */
  exclude(run: RunState, i: number): ReadonlySet<string> | undefined {
    if (!this.covers(run, i)) return undefined;
    const p = this.pending.get(inflightKey(run, i));
    return p && p.answers.size > 0 ? new Set(p.answers.keys()) : undefined;
  }

  /**
   * Where a verified run may take `hash` from: the accepted bytes and the peers that agreed on them. Undefined:
   * never accepted (a verified run recomputes it).
   */
  acceptedLocation(hash: string): InputLoc | undefined {
    const a = this.accepted.get(hash);
    if (!a) return undefined;
    const holders = [...a.holders].filter((h) => this.deps.dispatcher.live(h));
    if (holders.length === 0 && a.inline === undefined) return undefined;
    return { hash, size: a.size, holders, ...(a.inline && { inline: a.inline }) };
  }

  /** The digest (hex) a quorum of this mesh accepted for `hash` (this session or a verified receipt), if any. */
  acceptedDigest(hash: string): string | undefined {
    return this.accepted.get(hash)?.digest;
  }

  /**
   * A verified function's cache hit: where `acceptedLocation` says, with the record naming the peers that
   * agreed on it (`cached`). Undefined: never accepted, so it is recomputed.
   */
  cacheHit(run: RunState, i: number): InputLoc | undefined {
    const loc = this.acceptedLocation(run.hashes[i]!);
    if (loc) markVerification(run, i, 'cached', loc.holders, [], this.accepted.get(run.hashes[i]!)?.digest);
    return loc;
  }

  /**
   * A holder presented a `verified` receipt for `hash` (cache-claims.ts): what a quorum of this mesh accepted
   * before (this coordinator's earlier life, or another coordinator) is a cache hit for verified runs again.
   */
  receipted(hash: string, holder: string, digest: Uint8Array): void {
    if (this.quarantined(holder)) return;
    const hex = bytesToHex(digest);
    let a = this.accepted.get(hash);
    if (!a || a.digest !== hex) {
      if (a && a.holders.size > 0) return; // this session's quorum stands over an older receipt
      a = { digest: hex, size: 0, inline: undefined, holders: new Set() };
      this.accepted.set(hash, a);
      if (this.accepted.size > MAX_ACCEPTED) this.accepted.delete(this.accepted.keys().next().value!);
    }
    a.holders.add(holder);
  }

  /** The dispatcher placed `d` (a first placement or a retry): add the replicas the policy wants. */
  placed(d: Dispatch, outbox: Outbox): void {
    const { run, index: i } = d;
    const policy = run.verifyOf(i);
    if (!policy || !this.covers(run, i)) return;
    const k = inflightKey(run, i);
    let p = this.pending.get(k);
    if (!p) {
      if (this.deps.ledger.clean(d.peer, policy.trustAfter) && this.random() >= policy.spotCheckRate) {
        this.alone.add(k);
        return;
      }
      p = { tally: new Tally(), answers: new Map() };
      this.pending.set(k, p);
    }
    const decision = p.tally.decide(policy.quorum, policy.maxReplicas);
    const wanted = p.answers.size === 0 ? policy.replicas : decision.kind === 'pending' ? decision.more : 0;
    const running = Math.max(1, this.deps.dispatcher.inflight.count(d.run, d.index));
    this.replicate(d, wanted - running, outbox);
  }

  /** Sends up to `count` copies of `d` to peers that neither answered nor run it; fewer when too few are free. */
  private replicate(d: Dispatch, count: number, outbox: Outbox): void {
    const k = inflightKey(d.run, d.index);
    for (let n = 0; n < count; n++) {
      const busy = new Set(this.pending.get(k)?.answers.keys());
      for (const x of this.deps.dispatcher.inflight.of(d.run, d.index)) busy.add(x.peer);
      const views = this.deps.loads.views((v) => !busy.has(v.peerId) && !v.paused);
      if (views.length === 0) return; // the next answer asks again (or requeues with the exclusion)
      if (this.deps.dispatcher.copy(d, views, outbox) === undefined) return;
    }
  }

  /** A `task:result` for in-flight dispatch `d` of a covered function. */
  answer(d: Dispatch, msg: ResultMessage): void {
    const { run, index: i } = d;
    const policy = run.verifyOf(i)!;
    const k = inflightKey(run, i);
    const { inflight } = this.deps.dispatcher;
    const inline = msg.inline;
    const digest = resultDigest(msg);
    if (this.alone.delete(k) && !this.pending.has(k)) {
      // Placed alone on a peer with a clean record and no spot check drawn: its word is taken.
      this.deps.loads.get(d.peer)?.remove(d);
      inflight.remove(d);
      this.closeOthers(inflight.take(run, i), `peer '${d.peer}' finished it first`);
      if (digest !== undefined) this.remember(run, i, d.peer, digest, msg.size, inline);
      markVerification(run, i, 'trusted-peer', [d.peer], [], digest);
      this.deps.accept(run, i, d, acceptedLocationOf(run, i, msg.size, [d.peer], inline, digest));
      return;
    }
    let p = this.pending.get(k);
    if (!p) {
      p = { tally: new Tally(), answers: new Map() };
      this.pending.set(k, p);
    }
    this.deps.loads.get(d.peer)?.remove(d);
    inflight.remove(d);
    // No digest (a large result from a peer that does not report one) cannot agree with anything.
    const answer: Answer = { d, digest: digest ?? `none:${d.peer}`, size: msg.size, inline };
    if (!p.tally.add(d.peer, answer.digest)) {
      closeEntry(d, Date.now(), 'a second answer from the same peer does not count');
    } else {
      p.answers.set(d.peer, answer);
    }
    const decision = p.tally.decide(policy.quorum, policy.maxReplicas);
    if (decision.kind === 'accepted') {
      this.settle(run, i, p, decision.digest, decision.agreeing, decision.losers);
      return;
    }
    if (decision.kind === 'failed') {
      this.closeOthers(inflight.take(run, i), 'no quorum is possible');
      this.pending.delete(k);
      const now = Date.now();
      for (const a of p.answers.values()) closeEntry(a.d, now, `unverified: digest ${shortDigest(a.digest)}`);
      const answers = decision.answers.map((x) => `'${x.peer}' → ${shortDigest(x.digest)}`).join(', ');
      markVerification(
        run,
        i,
        'unverified',
        [],
        decision.answers.map((x) => x.peer),
      );
      this.deps.fail(
        run,
        i,
        new TaskError(
          run.id(i),
          Math.max(1, run.attemptOf(i)),
          'unverified',
          `no ${policy.quorum} of ${decision.answers.length} answers agreed (at most ${policy.maxReplicas} replicas): ${answers}`,
        ),
      );
      return;
    }
    const list = inflight.of(run, i);
    if (list.length === 0) {
      // Nothing runs it any more: back to the queue, where placement excludes the peers that answered.
      this.deps.dispatcher.enqueue(run, i, d.recompute);
      return;
    }
    if (list.length < decision.more) {
      const outbox: Outbox = new Map();
      this.replicate(list[0]!, decision.more - list.length, outbox);
      this.deps.dispatcher.send(outbox);
    }
  }

  private settle(
    run: RunState,
    i: number,
    p: Pending,
    digest: string,
    agreeing: readonly string[],
    losers: readonly { peer: string; digest: string }[],
  ): void {
    const k = inflightKey(run, i);
    const list = this.deps.dispatcher.inflight.take(run, i);
    this.closeOthers(list, 'a quorum agreed without it');
    if (list.length > 0) this.cancelled.set(k, { digest, peers: new Map(list.map((x) => [x.peer, x])) });
    this.pending.delete(k);
    const now = Date.now();
    const first = p.answers.get(agreeing[0]!)!;
    for (const peer of agreeing) {
      this.deps.ledger.agreed(peer);
      if (peer !== first.d.peer) closeEntry(p.answers.get(peer)!.d, now, undefined, true);
    }
    for (const l of losers) {
      const a = p.answers.get(l.peer)!;
      closeEntry(
        a.d,
        now,
        `disagreed: its result digest ${shortDigest(l.digest)} lost to ${shortDigest(digest)}`,
      );
      this.lost(run, i, l.peer, l.digest, digest);
    }
    for (const peer of agreeing) this.remember(run, i, peer, digest, first.size, first.inline);
    const holders = agreeing.filter((h) => !this.quarantined(h));
    const outcome = losers.length > 0 ? 'disputed' : 'agreed';
    markVerification(
      run,
      i,
      outcome,
      agreeing,
      losers.map((l) => l.peer),
      digest,
    );
    this.deps.accept(run, i, first.d, acceptedLocationOf(run, i, first.size, holders, first.inline, digest));
  }

  private lost(run: RunState, i: number, peer: string, digest: string, accepted: string): void {
    this.deps.onDisagreed?.(run, i, peer, digest, accepted);
    if (this.deps.ledger.disagreed(peer)) {
      this.forgetPeer(peer);
      this.deps.onQuarantine(peer, this.deps.ledger.record(peer).quarantineReason ?? 'its results disagreed');
    }
  }

  /** An answer that came after its replica was cancelled (a quorum agreed first): it still counts for its peer. */
  late(run: RunState, i: number, peer: string, msg: ResultMessage): void {
    const k = inflightKey(run, i);
    const c = this.cancelled.get(k);
    const d = c?.peers.get(peer);
    if (!c || !d || d.attempt !== msg.attempt) return;
    c.peers.delete(peer);
    if (c.peers.size === 0) this.cancelled.delete(k);
    const digest = resultDigest(msg);
    if (digest === c.digest) {
      this.deps.ledger.agreed(peer);
      return;
    }
    // Its attempt was closed as cancelled; the records (here and the submitter's) now say what it answered.
    const error = `disagreed (after the quorum): its result digest ${shortDigest(digest ?? `none:${peer}`)} lost to ${shortDigest(c.digest)}`;
    markLateDisagreement(run, i, d, error);
    this.lost(run, i, peer, digest ?? `none:${peer}`, c.digest);
  }

  private remember(
    run: RunState,
    i: number,
    peer: string,
    digest: string,
    size: number,
    inline: Uint8Array | undefined,
  ): void {
    if (run.specs[i]!.cache === false) return;
    const hash = run.hashes[i]!;
    this.deps.directory.add(hash, peer, size, inline);
    let a = this.accepted.get(hash);
    if (!a || a.digest !== digest) {
      // A newer quorum replaces an older one (the older one's holders keep other bytes).
      a = { digest, size, inline, holders: new Set() };
      this.accepted.delete(hash);
      this.accepted.set(hash, a);
      if (this.accepted.size > MAX_ACCEPTED) this.accepted.delete(this.accepted.keys().next().value!);
    }
    a.holders.add(peer);
  }

  private closeOthers(list: readonly Dispatch[], why: string): void {
    const now = Date.now();
    for (const x of list) {
      this.deps.loads.get(x.peer)?.remove(x);
      closeEntry(x, now, `cancelled: ${why}`);
      this.deps.port.post(x.peer, {
        type: 'task:cancel',
        runId: x.run.key,
        functionIds: [x.run.id(x.index)],
        reason: why,
      });
    }
  }

  /** A quarantined peer's holdings are not served again (also for quarantines decided elsewhere: claims). */
  forgetPeer(peer: string): void {
    for (const a of this.accepted.values()) a.holders.delete(peer);
    this.deps.directory.removePeer(peer);
  }

  /** A run ended: drop what it left pending. */
  forgetRun(run: RunState): void {
    const prefix = `${run.key}\0`;
    for (const k of this.pending.keys()) if (k.startsWith(prefix)) this.pending.delete(k);
    for (const k of this.alone) if (k.startsWith(prefix)) this.alone.delete(k);
    for (const k of this.cancelled.keys()) if (k.startsWith(prefix)) this.cancelled.delete(k);
  }
}
