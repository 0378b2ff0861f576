/**
 * What a failed attempt leads to (outcomes.ts hands failures here): a free reschedule when it was not the
 * function's fault (capped by `maxLostAttempts`), a retry with backoff when its `retries` allow
 * (run/retry-policy.ts), a retried or abandoned lineage recompute, or failure for good, which skips what depends
 * on it.
 */
import { TaskError } from '../errors.js';
import { backoffDelay, mayRetry } from '../run/retry-policy.js';
import { skipDownstream } from '../run/skip-downstream.js';
import { Dispatcher } from './dispatcher.js';
import { failureKind, finalError } from './failures.js';
import type { Dispatch } from './peer-loads.js';
import type { RunState } from './run-state.js';

export interface FailureOutcomesDeps {
  readonly dispatcher: Dispatcher;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxLostAttempts: number;
  /** Recomputing a function that had succeeded failed for good. */
  readonly onRecomputeFailed?: (run: RunState, index: number, error: TaskError) => void;
  /** A function failed for good: its hash group's followers need another leader (outcomes.ts). */
  readonly onFailedForGood: (run: RunState, index: number) => void;
}

export class FailureOutcomes {
  constructor(private readonly deps: FailureOutcomesDeps) {}

  afterFailure(run: RunState, i: number, d: Dispatch, error: TaskError): void {
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
    this.deps.onFailedForGood(run, i);
  }

  private skipDownstream(run: RunState, root: number): void {
    skipDownstream(run.graph, root, (d) => run.id(d), run.run);
  }
}
