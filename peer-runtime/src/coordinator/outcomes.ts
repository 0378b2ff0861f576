/**
 * What happens to a function besides being placed: it becomes ready (cache lookup, dedup by hash), succeeds
 * (its dependents become ready, identical functions of other runs take its result), fails (retry with backoff,
 * or reschedule for free when it was not its fault, or fail for good and skip what depends on it), loses its
 * peer, is cancelled with its run, or straggles (a duplicate on an idle peer; the first result wins).
 */
import { row } from '../dag/graph.js';
import { TaskError, taskErrorFor } from '../errors.js';
import type { MeshPort } from '../mesh/port.js';
import type { Refusals } from '../mesh/refusals.js';
import { HashGroups } from '../run/hash-groups.js';
import type { FetchedInput } from '../run/types.js';
import type { ResourceTracker } from '../scheduling/types.js';
import { describeLinkPath } from '../transport/link-path.js';
import type { AnswerMatch, AttemptMessage, FailedMessage, ResultMessage } from './answer-match.js';
import { matchAnswer } from './answer-match.js';
import type { Dispatcher, InputLoc } from './dispatcher.js';
import { FailureOutcomes } from './failure-outcomes.js';
import { type AttemptLinks, closeEntry, type StragglerOptions } from './failures.js';
import type { Handover } from './handover.js';
import type { Dispatch, PeerLoads } from './peer-loads.js';
import type { Reachability } from './reachability.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import { duplicateStragglers } from './stragglers.js';
import type { Verification } from './verify.js';

/** A function of one of the coordinator's runs, as hash groups name it. */
interface TaskRef {
  readonly run: RunState;
  readonly index: number;
}

export interface OutcomesDeps {
  readonly port: MeshPort;
  /** Where peer pairs that could not open a link are recorded (from `task:failed`'s `unreachable`). */
  readonly reachability: Reachability;
  readonly tracker: ResourceTracker;
  readonly directory: ResultDirectory;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
  /** Where completions that match no assignment are reported. */
  readonly refusals: Refusals;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxLostAttempts: number;
  readonly onPeerLost: (peerId: string, reason: string) => void;
  /** A function that had succeeded was recomputed (its result had been lost); `run.run.location` says where. */
  readonly onRecomputed?: (run: RunState, index: number) => void;
  /** Recomputing a function that had succeeded failed for good. */
  readonly onRecomputeFailed?: (run: RunState, index: number, error: TaskError) => void;
  /** Result verification of runs with a `verify` policy (verify.ts). Default: none. */
  readonly verification?: Verification;
  /** Runs taken over from a lost coordinator: work in flight goes back to its peer (handover.ts). Default: none. */
  readonly handover?: Handover;
  /**
   * A dispatch came back with a result: `observedMs` is how long the coordinator saw it take (from its dispatch,
   * or from when its peer last freed a slot, to now): slow start and measured speed (scheduling/claims.ts).
   */
  readonly onCompleted?: (d: Dispatch, reportedMs: number, observedMs: number) => void;
  /** A function's result was accepted at `location` (its holders get cache receipts: cache-claims.ts). */
  readonly onAccepted?: (run: RunState, index: number, location: InputLoc) => void;
}

export class Outcomes {
  /** Dedup by hash across runs (run/hash-groups.ts); a function is named by its run and index. */
  private readonly groups = new HashGroups<TaskRef>();
  private readonly runsByKey = new Map<string, RunState>();
  private readonly failures: FailureOutcomes;

  constructor(private readonly deps: OutcomesDeps) {
    this.failures = new FailureOutcomes({
      dispatcher: deps.dispatcher,
      retryBackoffMs: deps.retryBackoffMs,
      retryBackoffMaxMs: deps.retryBackoffMaxMs,
      maxLostAttempts: deps.maxLostAttempts,
      ...(deps.onRecomputeFailed && { onRecomputeFailed: deps.onRecomputeFailed }),
      onFailedForGood: (run, i) => this.settleGroup(run, i, false),
    });
  }

  // ---- ready ----

  ready(run: RunState, i: number): void {
    if (run.finished || run.run.isCancelled) return;
    this.runsByKey.set(run.key, run);
    const spec = run.specs[i]!;
    run.run.markQueued(spec.id);
    const verified = this.deps.verification?.covers(run, i) === true;
    if (spec.cache !== false) {
      const hash = run.hashes[i]!;
      if (verified || this.deps.directory.has(hash)) {
        // A verified run takes only a result a quorum accepted, from the peers that agreed (verify.ts).
        const loc = verified ? this.deps.verification!.cacheHit(run, i) : this.deps.dispatcher.locate(run, i);
        if (loc) {
          run.run.setLocation(spec.id, loc);
          run.run.markSucceeded(spec.id, undefined, {
            cached: true,
            peer: loc.holders[0] ?? this.deps.port.peerId,
          });
          this.release(run, i);
          return;
        }
      }
      // A verified function neither waits for another run's unverified copy nor makes others wait for its quorum.
      if (!verified && this.groups.join(hash, { run, index: i })) return;
    }
    if (this.deps.handover?.place(run, i)) return;
    this.deps.dispatcher.enqueue(run, i, false);
  }

  private release(run: RunState, i: number): void {
    run.release(i, (d) => this.ready(run, d));
  }

  // ---- completions ----

  onResult(from: string, msg: ResultMessage): void {
    const verification = this.deps.verification;
    // A quarantined peer's word counts for nothing, not even as a cache holder.
    if (verification?.quarantined(from)) return;
    const match = this.match(from, msg);
    if (match === undefined) return;
    const { run, i, winner } = match;
    const spec = run.specs[i]!;
    // The run's own copy of the hash (match checked they are equal): the directory and the run's location keep it
    // for as long as the result lives, and the decoded one would be one more 64-character string per function.
    const hash = run.hashes[i]!;
    // A verified function's holders enter the directory only once a quorum accepted their value (verify.ts).
    const verified = verification?.covers(run, i) === true;
    if (spec.cache !== false && !verified) {
      this.deps.directory.add(hash, from, msg.size, msg.inline, msg.digest);
    }
    this.deps.loads.get(from)?.observe(msg.durationMs);
    if (!winner) {
      // Stale: a cancelled attempt or a lost race; the directory still learned of it (unless verified, where a
      // cancelled replica's answer still counts for its peer's record).
      if (verified) verification!.late(run, i, from, msg);
      return;
    }
    // Only for an attempt we assigned to this peer (match, above): a stranger cannot print into someone else's run.
    if (msg.output) run.run.markOutput(run.id(i), { attempt: msg.attempt, peer: from, ...msg.output });
    if (msg.phases) run.run.markPhases(run.id(i), msg.attempt, from, msg.phases);
    run.observe(msg.durationMs);
    const load = this.deps.loads.get(from);
    if (load)
      this.deps.onCompleted?.(winner, msg.durationMs, Date.now() - Math.max(winner.at, load.lastFreedAt));
    if (verified) {
      verification!.answer(winner, msg);
      return;
    }
    this.succeed(
      run,
      i,
      winner,
      {
        hash,
        size: msg.size,
        holders: [from],
        ...(msg.inline && { inline: msg.inline }),
        ...(msg.digest && { digest: msg.digest }),
      },
      msg.fetchedFrom,
    );
  }

  /**
   * `winner`'s result is the function's: its copies are cancelled, its dependents become ready. `fetchedFrom`:
   * the inputs its attempt fetched, for the attempt's link record.
   */
  succeed(
    run: RunState,
    i: number,
    winner: Dispatch,
    location: InputLoc,
    fetchedFrom?: readonly FetchedInput[],
  ): void {
    const list = this.deps.dispatcher.inflight.take(run, i);
    const from = winner.peer;
    const now = Date.now();
    const raced = list.length > 1 || winner.duplicate;
    this.deps.loads.get(from)?.remove(winner);
    for (const d of list) {
      this.deps.loads.get(d.peer)?.remove(d);
      if (d !== winner) {
        closeEntry(d, now, `cancelled: peer '${from}' finished first`);
        this.cancelOnPeer(d, `peer '${from}' finished it first`);
      }
    }
    const id = run.id(i);
    run.run.setLocation(id, location);
    this.deps.onAccepted?.(run, i, location);
    const links = this.linksOf(from, fetchedFrom);
    if (!run.run.isEnded(id)) {
      run.run.markSucceeded(id, undefined, { cached: false, peer: from, at: now });
      closeEntry(winner, now, undefined, raced, links);
      this.release(run, i);
    } else {
      closeEntry(winner, now, undefined, raced, links);
    }
    this.settleGroup(run, i, true);
    if (winner.recompute) this.deps.onRecomputed?.(run, i);
    this.wakeLineage(run, i);
    this.deps.dispatcher.kick();
  }

  /** The hash group of a function that ended: followers take its result, or (failure) one of them leads next. */
  private settleGroup(run: RunState, i: number, succeeded: boolean): void {
    for (const f of this.groups.settle(run.hashes[i]!, (l) => l.run === run && l.index === i)) {
      const fid = f.run.id(f.index);
      if (f.run.finished || f.run.run.isEnded(fid)) continue;
      if (succeeded) {
        const loc = run.run.location(run.id(i));
        if (loc) f.run.run.setLocation(fid, loc);
        f.run.run.markSucceeded(fid, undefined, { cached: true, peer: loc?.holders[0] });
        this.release(f.run, f.index);
      } else {
        this.ready(f.run, f.index);
      }
    }
  }

  private wakeLineage(run: RunState, p: number): void {
    for (const c of run.recomputeArrived(p)) {
      const recompute = run.run.isEnded(run.id(c));
      this.deps.dispatcher.enqueue(run, c, recompute);
    }
  }

  // ---- failures ----

  onFailed(from: string, msg: FailedMessage): void {
    const match = this.match(from, msg);
    if (match === undefined || !match.winner) return;
    const { run, i, winner: d } = match;
    // Only for an attempt we assigned to this peer (match, above): a stranger cannot print into someone else's run.
    if (msg.output) run.run.markOutput(msg.functionId, { attempt: msg.attempt, peer: from, ...msg.output });
    if (msg.phases) run.run.markPhases(msg.functionId, msg.attempt, from, msg.phases);
    this.deps.loads.get(from)?.remove(d);
    const left = this.deps.dispatcher.inflight.remove(d) ?? 0;
    const now = Date.now();
    closeEntry(d, now, `${msg.reason}: ${msg.message}`, false, this.linksOf(from, msg.fetchedFrom));
    for (const u of msg.unreachable ?? []) this.deps.reachability.noteUnreachable(from, u.peer, u.failure);
    if (left > 0) return; // its duplicate still runs and may yet succeed
    if (msg.reason === 'input-lost' && msg.missingInput !== undefined && !this.onlyUnreachable(msg))
      this.forgetInput(run, i, msg.missingInput);
    // A `cancelled` we did not ask for is a hand-back (agent/replies.ts): the peer takes no new work now. Believed
    // (it only lowers what the peer gets; its next status sets it right), else the free reschedule goes back to it.
    if (msg.reason === 'cancelled' && this.deps.tracker.peer(from)?.paused === false)
      this.deps.tracker.update(from, { paused: true });
    const error = taskErrorFor(msg.functionId, msg.attempt, msg.reason, msg.message, msg.stack, from);
    this.afterFailure(run, i, d, error);
    // The failed attempt freed a slot on `from`: functions put back for want of room there (a pin to a one-slot
    // peer) are placed only by a pass, and a failure for good enqueues nothing that would start one.
    this.deps.dispatcher.kick();
  }

  /**
   * The fetch failed only because no link opened to any holder it tried: the input is not lost (its holders have
   * it), so it is not recomputed; the retry goes to a peer that can reach a holder (dispatcher.ts, reachability).
   */
  private onlyUnreachable(msg: FailedMessage): boolean {
    const unreachable = new Set((msg.unreachable ?? []).map((u) => u.peer));
    if (unreachable.size === 0 || msg.missingInput === undefined) return false;
    const holders = this.deps.directory.get(msg.missingInput)?.holders;
    return [...(holders ?? unreachable)].every((h) => unreachable.has(h));
  }

  /** How the coordinator's link to `peer` connected, and the links the peer reported for its fetches. */
  private linksOf(peer: string, fetchedFrom: FailedMessage['fetchedFrom']): AttemptLinks {
    const path =
      peer === this.deps.port.peerId
        ? undefined
        : this.deps.port.transport.connections().find((c) => c.peerId === peer)?.path;
    return {
      ...(path && { link: describeLinkPath(path) }),
      ...(fetchedFrom && fetchedFrom.length > 0 && { fetchedFrom }),
    };
  }

  /** The run and function of an attempt assigned to `from` (answer-match.ts's checks), for `task:output`. */
  assignedAttempt(from: string, msg: AttemptMessage): { run: RunState; i: number } | undefined {
    const match = this.match(from, msg);
    return match && { run: match.run, i: match.i };
  }

  /** The assignment a completion or failure answers (answer-match.ts); refused when it answers none. */
  private match(from: string, msg: AttemptMessage): AnswerMatch | undefined {
    return matchAnswer(
      {
        run: (key) => this.runsByKey.get(key),
        inflight: this.deps.dispatcher.inflight,
        refusals: this.deps.refusals,
      },
      from,
      msg,
    );
  }

  /** Every holder of an input failed the fetch: forget them, so the next dispatch recomputes it from lineage. */
  private forgetInput(run: RunState, i: number, hash: string): void {
    this.deps.directory.removeHolders(hash);
    for (const p of row(run.producers, i)) {
      if (run.hashes[p] !== hash) continue;
      const loc = run.run.location(run.id(p));
      if (loc) run.run.setLocation(run.id(p), { ...loc, holders: [] });
    }
  }
  private afterFailure(run: RunState, i: number, d: Dispatch, error: TaskError): void {
    this.failures.afterFailure(run, i, d, error);
  }

  /** Fails function `i` for good (or, for a recompute, whoever waits for it): failure-outcomes.ts. */
  failFinal(run: RunState, i: number, error: TaskError): void {
    this.failures.failFinal(run, i, error);
  }

  // ---- peers ----

  peerLost(peerId: string, reason: string): void {
    const known = this.deps.loads.get(peerId) !== undefined || this.deps.tracker.peer(peerId) !== undefined;
    const dispatches = this.deps.loads.delete(peerId);
    this.deps.tracker.unregister(peerId);
    this.deps.directory.removePeer(peerId);
    if (!known) return;
    this.deps.onPeerLost(peerId, reason);
    const now = Date.now();
    for (const d of dispatches) {
      const left = this.deps.dispatcher.inflight.remove(d);
      if (left === undefined) continue; // it had ended already
      closeEntry(d, now, `peer-lost: peer '${peerId}' was lost (${reason})`);
      if (left > 0) continue;
      if (d.run.finished) continue;
      const error = new TaskError(
        d.run.id(d.index),
        d.attempt,
        'peer-lost',
        `peer '${peerId}' was lost: ${reason}`,
        undefined,
        peerId,
      );
      this.afterFailure(d.run, d.index, d, error);
    }
    this.deps.dispatcher.kick();
  }

  private cancelOnPeer(d: Dispatch, reason: string): void {
    this.deps.port.post(d.peer, {
      type: 'task:cancel',
      runId: d.run.key,
      functionIds: [d.run.id(d.index)],
      reason,
    });
  }

  cancelRun(run: RunState): void {
    run.clearTimers();
    this.deps.dispatcher.forgetRun(run);
    const perPeer = new Map<string, string[]>();
    for (const d of this.deps.dispatcher.inflight.takeRun(run)) {
      this.deps.loads.get(d.peer)?.remove(d);
      let ids = perPeer.get(d.peer);
      if (!ids) {
        ids = [];
        perPeer.set(d.peer, ids);
      }
      ids.push(run.id(d.index));
    }
    for (const [peer, functionIds] of perPeer) {
      this.deps.port.post(peer, {
        type: 'task:cancel',
        runId: run.key,
        functionIds,
        reason: 'the run was cancelled',
      });
    }
    for (const f of this.groups.drop((r) => r.run === run)) this.ready(f.run, f.index);
    for (let i = 0; i < run.n; i++) run.run.markCancelled(run.id(i));
    this.runsByKey.delete(run.key);
    this.deps.dispatcher.kick();
  }

  // ---- stragglers ----

  duplicateStragglers(options: StragglerOptions): void {
    duplicateStragglers(this.deps, options);
  }

  /** Forget a finished run. */
  forget(run: RunState): void {
    this.runsByKey.delete(run.key);
    this.deps.verification?.forgetRun(run);
  }

  /** Take a finished run back (to recompute a lost result from its lineage). */
  adopt(run: RunState): void {
    this.runsByKey.set(run.key, run);
  }
}
