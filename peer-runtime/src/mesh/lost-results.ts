/**
 * Final results whose holders are all gone. A submitter asking for such a result (`result(id)` of an in-process
 * run) gets it recomputed from lineage while the finished run's DAG is kept (`keepLineageMs`): the function goes
 * back to the scheduler as a recompute, and its own lost inputs are recomputed first the usual way. The run is
 * taken back for that time and retired again once no recompute is pending. Past that time, or for a function
 * that cannot be recomputed, the call fails with a PeerError naming the function and the holders that were lost.
 */
import type { TaskError } from '../errors.js';
import type { ResultDirectory } from './directory.js';
import { lostResultError, type ResultLocation } from './mesh-run.js';
import type { Outcomes } from './outcomes.js';
import type { MeshPort } from './port.js';
import type { RunState } from './run-state.js';
import { Dispatcher } from './scheduler.js';

export interface LostResultsDeps {
  readonly port: MeshPort;
  readonly directory: ResultDirectory;
  readonly dispatcher: Dispatcher;
  readonly outcomes: Outcomes;
  readonly fetchTimeoutMs: number;
  /** Make a finished run schedulable again. */
  readonly revive: (state: RunState) => void;
  /** Retire it again (nothing left to recompute). */
  readonly retire: (state: RunState) => void;
}

export class LostResults {
  constructor(private readonly deps: LostResultsDeps) {}

  /**
   * The bytes of `id`'s result: from another peer the directory knows holds it (a consumer that kept a fetched
   * input), else recomputed; rejects with a PeerError when its lineage cannot be used.
   */
  async recompute(
    state: RunState,
    id: string,
    location: ResultLocation,
    closed: boolean,
  ): Promise<Uint8Array> {
    const i = state.index.get(id);
    if (i === undefined || closed || Date.now() > state.lineageUntil || state.run.isCancelled) {
      throw lostResultError(state.run.id, id, location);
    }
    // The holders did not answer: forget them, so the recompute (and any consumer) looks elsewhere.
    for (const h of location.holders) this.deps.directory.remove(location.hash, h);
    state.run.setLocation(id, { hash: location.hash, size: location.size, holders: [] });
    const elsewhere = this.deps.dispatcher.locate(state, i);
    if (elsewhere?.inline) return elsewhere.inline;
    if (elsewhere && elsewhere.holders.length > 0) {
      const fetched = await this.deps.port.fetch(location.hash, elsewhere.holders, this.deps.fetchTimeoutMs);
      if (fetched) return fetched.bytes;
      for (const h of elsewhere.holders) this.deps.directory.remove(location.hash, h);
    }
    if (state.finished) {
      state.finished = false;
      this.deps.revive(state);
      this.deps.outcomes.adopt(state);
    }
    return new Promise((resolve, reject) => {
      let waiters = state.lostWaiters.get(i);
      if (!waiters) {
        waiters = [];
        state.lostWaiters.set(i, waiters);
      }
      waiters.push({ resolve, reject });
      if (waiters.length === 1 && !this.deps.dispatcher.inflight.has(Dispatcher.key(state, i))) {
        this.deps.dispatcher.enqueue(state, i, true);
      }
    });
  }

  /** A recompute succeeded: hand its bytes to those waiting for them. */
  recomputed(state: RunState, i: number): void {
    const waiters = state.lostWaiters.get(i);
    if (!waiters) return;
    state.lostWaiters.delete(i);
    const location = state.run.location(state.id(i));
    const settle = (bytes: Uint8Array | undefined): void => {
      for (const w of waiters) {
        if (bytes) w.resolve(bytes);
        else w.reject(lostResultError(state.run.id, state.id(i), location ?? emptyLocation(state, i)));
      }
    };
    if (location?.inline) settle(location.inline);
    else if (location && location.holders.length > 0) {
      this.deps.port.fetch(location.hash, location.holders, this.deps.fetchTimeoutMs).then(
        (fetched) => settle(fetched?.bytes),
        () => settle(undefined),
      );
    } else settle(undefined);
    this.retireIfIdle(state);
  }

  /** Recomputing failed for good: those waiting get the error. */
  failed(state: RunState, i: number, error: TaskError): void {
    const waiters = state.lostWaiters.get(i);
    if (!waiters) return;
    state.lostWaiters.delete(i);
    for (const w of waiters) w.reject(error);
    this.retireIfIdle(state);
  }

  private retireIfIdle(state: RunState): void {
    if (state.lostWaiters.size > 0 || state.finished || !state.run.records().every((r) => isEnded(r.status)))
      return;
    this.deps.retire(state);
  }
}

function isEnded(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}

function emptyLocation(state: RunState, i: number): ResultLocation {
  return { hash: state.hashes[i]!, size: 0, holders: [] };
}
