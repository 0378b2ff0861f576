/**
 * What happens to a function besides being placed: it becomes ready (cache lookup, dedup by hash), succeeds
 * (its dependents become ready, identical functions of other runs take its result), fails (retry with backoff,
 * or reschedule for free when it was not its fault, or fail for good and skip what depends on it), loses its
 * peer, is cancelled with its run, or straggles (a duplicate on an idle peer; the first result wins).
 */
import { TaskError, taskErrorFor } from '../errors.js';
import type { MeshPort } from '../mesh/port.js';
import type { BatchableMessage } from '../protocol/messages.js';
import type { ResourceTracker } from '../scheduling/types.js';
import { Dispatcher } from './dispatcher.js';
import {
  backoffDelay,
  closeEntry,
  failureKind,
  finalError,
  mayRetry,
  type StragglerOptions,
} from './failures.js';
import { HashGroups } from './hash-groups.js';
import type { Dispatch, PeerLoads } from './peer-loads.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import { duplicateStragglers } from './stragglers.js';

export interface OutcomesDeps {
  readonly port: MeshPort;
  readonly tracker: ResourceTracker;
  readonly directory: ResultDirectory;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxLostAttempts: number;
  readonly onPeerLost: (peerId: string, reason: string) => void;
  /** A function that had succeeded was recomputed (its result had been lost); `run.run.location` says where. */
  readonly onRecomputed?: (run: RunState, index: number) => void;
  /** Recomputing a function that had succeeded failed for good. */
  readonly onRecomputeFailed?: (run: RunState, index: number, error: TaskError) => void;
}

type ResultMessage = Extract<BatchableMessage, { type: 'task:result' }>;
type FailedMessage = Extract<BatchableMessage, { type: 'task:failed' }>;

export class Outcomes {
  private readonly groups = new HashGroups();
  private readonly runsByKey = new Map<string, RunState>();

  constructor(private readonly deps: OutcomesDeps) {}

  // ---- ready ----

  ready(run: RunState, i: number): void {
    if (run.finished || run.run.isCancelled) return;
    this.runsByKey.set(run.key, run);
    const spec = run.specs[i]!;
    run.run.markQueued(spec.id);
    if (spec.cache !== false) {
      const hash = run.hashes[i]!;
      if (this.deps.directory.has(hash)) {
        const loc = this.deps.dispatcher.locate(run, i);
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
      if (this.groups.join(hash, { run, index: i })) return;
    }
    this.deps.dispatcher.enqueue(run, i, false);
  }

  private release(run: RunState, i: number): void {
    for (const d of run.dependents[i]!) {
      if (--run.remaining[d]! === 0) this.ready(run, d);
    }
  }

  // ---- completions ----

  onResult(from: string, msg: ResultMessage): void {
    const run = this.runsByKey.get(msg.runId);
    const i = run?.index.get(msg.functionId);
    const spec = run && i !== undefined ? run.specs[i] : undefined;
    if (spec?.cache !== false) this.deps.directory.add(msg.hash, from, msg.size, msg.inline);
    this.deps.loads.get(from)?.observe(msg.durationMs);
    if (!run || i === undefined || run.finished) return;
    const k = Dispatcher.key(run, i);
    const list = this.deps.dispatcher.inflight.get(k);
    const winner = list?.find((d) => d.peer === from && d.attempt === msg.attempt);
    if (!list || !winner) return; // stale: a cancelled attempt or a lost race; the directory still learned of it
    if (msg.output) run.run.markOutput(run.id(i), { attempt: msg.attempt, peer: from, ...msg.output });
    run.observe(msg.durationMs);
    this.deps.dispatcher.inflight.delete(k);
    const now = Date.now();
    const raced = list.length > 1;
    for (const d of list) {
      this.deps.loads.get(d.peer)?.remove(d);
      if (d !== winner) {
        closeEntry(d, now, `cancelled: peer '${from}' finished first`);
        this.cancelOnPeer(d, `peer '${from}' finished it first`);
      }
    }
    const id = spec!.id;
    run.run.setLocation(id, {
      hash: msg.hash,
      size: msg.size,
      holders: [from],
      ...(msg.inline && { inline: msg.inline }),
    });
    if (!run.run.isEnded(id)) {
      run.run.markSucceeded(id, undefined, { cached: false, peer: from, at: now });
      closeEntry(winner, now, undefined, raced);
      this.release(run, i);
    } else {
      closeEntry(winner, now, undefined, raced);
    }
    this.settleGroup(run, i, true);
    if (winner.recompute) this.deps.onRecomputed?.(run, i);
    this.wakeLineage(run, i);
    this.deps.dispatcher.kick();
  }

  /** The hash group of a function that ended: followers take its result, or (failure) one of them leads next. */
  private settleGroup(run: RunState, i: number, succeeded: boolean): void {
    for (const f of this.groups.settle(run, i)) {
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
    const waiters = run.lineageWaiters.get(p);
    if (!waiters) return;
    run.lineageWaiters.delete(p);
    for (const c of waiters) {
      const left = (run.waitingInputs.get(c) ?? 1) - 1;
      if (left > 0) {
        run.waitingInputs.set(c, left);
        continue;
      }
      run.waitingInputs.delete(c);
      const recompute = run.run.isEnded(run.id(c));
      this.deps.dispatcher.enqueue(run, c, recompute);
    }
  }

  // ---- failures ----

  onFailed(from: string, msg: FailedMessage): void {
    const run = this.runsByKey.get(msg.runId);
    const i = run?.index.get(msg.functionId);
    if (!run || i === undefined || run.finished) return;
    const k = Dispatcher.key(run, i);
    const list = this.deps.dispatcher.inflight.get(k);
    const d = list?.find((x) => x.peer === from && x.attempt === msg.attempt);
    if (!list || !d) return;
    // Only for an attempt we assigned to this peer (above): a stranger cannot print into someone else's run.
    if (msg.output) run.run.markOutput(msg.functionId, { attempt: msg.attempt, peer: from, ...msg.output });
    this.deps.loads.get(from)?.remove(d);
    list.splice(list.indexOf(d), 1);
    const now = Date.now();
    closeEntry(d, now, `${msg.reason}: ${msg.message}`);
    if (list.length > 0) return; // its duplicate still runs and may yet succeed
    this.deps.dispatcher.inflight.delete(k);
    if (msg.reason === 'input-lost' && msg.missingInput !== undefined)
      this.forgetInput(run, i, msg.missingInput);
    const error = taskErrorFor(msg.functionId, msg.attempt, msg.reason, msg.message, msg.stack, from);
    this.afterFailure(run, i, d, error);
  }

  /** Every holder of an input failed the fetch: forget them, so the next dispatch recomputes it from lineage. */
  private forgetInput(run: RunState, i: number, hash: string): void {
    this.deps.directory.removeHolders(hash);
    for (const p of run.producers[i]!) {
      if (run.hashes[p] !== hash) continue;
      const loc = run.run.location(run.id(p));
      if (loc) run.run.setLocation(run.id(p), { ...loc, holders: [] });
    }
  }

  private afterFailure(run: RunState, i: number, d: Dispatch, error: TaskError): void {
    const spec = run.specs[i]!;
    const kind = failureKind(error.reason);
    if (d.recompute || run.run.isEnded(spec.id)) {
      this.recomputeFailed(run, i, error, kind);
      return;
    }
    if (kind === 'lost') {
      if (++run.losses[i]! > this.deps.maxLostAttempts) {
        this.failFinal(run, i, error);
        return;
      }
      run.run.markFailed(spec.id, error, false);
      run.run.markRetried(spec.id, run.attempt[i]! + 1, 0);
      this.deps.dispatcher.enqueue(run, i, false);
      return;
    }
    const failures = ++run.failures[i]!;
    let avoid = run.avoid.get(i);
    if (!avoid) {
      avoid = new Set();
      run.avoid.set(i, avoid);
    }
    avoid.add(d.peer);
    const decision = mayRetry(failures, spec.retries ?? 0, run.restarted[i] === 1, error.reason);
    if (!decision.retry) {
      this.failFinal(run, i, error);
      return;
    }
    if (decision.restart) run.restarted[i] = 1;
    run.run.markFailed(spec.id, error, false);
    const delayMs = backoffDelay(failures, this.deps.retryBackoffMs, this.deps.retryBackoffMaxMs);
    run.run.markRetried(spec.id, run.attempt[i]! + 1, delayMs);
    const timer = setTimeout(() => {
      run.timers.delete(timer);
      this.deps.dispatcher.enqueue(run, i, false);
    }, delayMs);
    run.timers.add(timer);
  }

  /** A lineage recompute failed: retry it like a normal attempt, or fail the consumers waiting for it. */
  private recomputeFailed(run: RunState, p: number, error: TaskError, kind: 'own' | 'lost'): void {
    const spec = run.specs[p]!;
    const budget =
      kind === 'lost'
        ? ++run.losses[p]! <= this.deps.maxLostAttempts
        : ++run.failures[p]! <= (spec.retries ?? 0);
    if (budget) {
      this.deps.dispatcher.enqueue(run, p, true);
      return;
    }
    this.abandonRecompute(run, p, error);
  }

  /** A recompute of `p` will not happen: whoever waits for its result fails. */
  private abandonRecompute(run: RunState, p: number, error: TaskError): void {
    const spec = run.specs[p]!;
    this.deps.onRecomputeFailed?.(run, p, error);
    const waiters = run.lineageWaiters.get(p) ?? new Set<number>();
    run.lineageWaiters.delete(p);
    for (const c of waiters) {
      run.waitingInputs.delete(c);
      const cid = run.id(c);
      const e = new TaskError(
        cid,
        Math.max(1, run.attempt[c]!),
        'input-lost',
        `its input '${spec.id}' was lost and recomputing it failed: ${error.originalMessage}`,
        undefined,
        error.peerId,
      );
      if (run.run.isEnded(cid)) this.recomputeFailed(run, c, e, 'own');
      else this.failFinal(run, c, e);
    }
  }

  failFinal(run: RunState, i: number, error: TaskError): void {
    const id = run.id(i);
    if (run.run.isEnded(id)) {
      // A recompute that cannot be placed (unsatisfiable for too long): its waiters fail instead of hanging.
      this.deps.dispatcher.parked.delete(Dispatcher.key(run, i));
      this.abandonRecompute(run, i, error);
      return;
    }
    this.deps.dispatcher.parked.delete(Dispatcher.key(run, i));
    run.run.markFailed(id, finalError(run.run.record(id), error), true);
    this.skipDownstream(run, i);
    this.settleGroup(run, i, false);
  }

  private skipDownstream(run: RunState, root: number): void {
    const because = run.id(root);
    const stack = [...run.dependents[root]!];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const id = run.id(d);
      if (run.run.isEnded(id)) continue;
      run.run.markSkipped(id, because);
      stack.push(...run.dependents[d]!);
    }
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
      const k = Dispatcher.key(d.run, d.index);
      const list = this.deps.dispatcher.inflight.get(k);
      if (!list?.includes(d)) continue;
      list.splice(list.indexOf(d), 1);
      closeEntry(d, now, `peer-lost: peer '${peerId}' was lost (${reason})`);
      if (list.length > 0) continue;
      this.deps.dispatcher.inflight.delete(k);
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
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    this.deps.dispatcher.forgetRun(run);
    const perPeer = new Map<string, string[]>();
    for (const [k, list] of this.deps.dispatcher.inflight) {
      if (list[0]?.run !== run) continue;
      this.deps.dispatcher.inflight.delete(k);
      for (const d of list) {
        this.deps.loads.get(d.peer)?.remove(d);
        let ids = perPeer.get(d.peer);
        if (!ids) {
          ids = [];
          perPeer.set(d.peer, ids);
        }
        ids.push(run.id(d.index));
      }
    }
    for (const [peer, functionIds] of perPeer) {
      this.deps.port.post(peer, {
        type: 'task:cancel',
        runId: run.key,
        functionIds,
        reason: 'the run was cancelled',
      });
    }
    for (const f of this.groups.dropRun(run)) this.ready(f.run, f.index);
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
  }

  /** Take a finished run back (to recompute a lost result from its lineage). */
  adopt(run: RunState): void {
    this.runsByKey.set(run.key, run);
  }
}
