/**
 * Final results whose holders are all gone. A submitter asking for such a result (`result(id)` of an in-process
 * run) gets it recomputed from lineage while the finished run's DAG is kept (`keepLineageMs`): the function goes
 * back to the scheduler as a recompute, and its own lost inputs are recomputed first the usual way. The run is
 * taken back for that time and retired again once no recompute is pending. Past that time, or for a function
 * that cannot be recomputed, the call fails with a PeerError naming the function and the holders that were lost.
 * Remote submitters get the same through `result:recover` (remote-lineage.ts): `relocate` tells them where the
 * recomputed result is, and they fetch it themselves.
 */
import type { TaskError } from '../errors.js';
import { grantOf, lostResultError, type ResultLocation } from '../mesh/mesh-run.js';
import type { MeshPort } from '../mesh/port.js';
import type { Dispatcher } from './dispatcher.js';
import type { Outcomes } from './outcomes.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';

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

/** How often `recompute` looks for a result again when the holder it was told of does not answer. */
const MAX_ROUNDS = 3;

export class LostResults {
  constructor(private readonly deps: LostResultsDeps) {}

  /**
   * The bytes of `id`'s result: from another peer the directory knows holds it (a consumer that kept a fetched
   * input), else recomputed; rejects with a PeerError when its lineage cannot be used. A holder that does not
   * answer either is forgotten and the result looked for again (a few times at most).
   */
  async recompute(
    state: RunState,
    id: string,
    location: ResultLocation,
    closed: boolean,
  ): Promise<Uint8Array> {
    let lost = location;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const found = await this.relocate(state, id, lost, closed);
      if (found.inline) return found.inline;
      const fetched = await this.deps.port.fetch(
        found.hash,
        found.holders,
        this.deps.fetchTimeoutMs,
        grantOf(found),
      );
      if (fetched) return fetched.bytes;
      lost = found;
    }
    throw lostResultError(state.run.id, id, lost);
  }

  /**
   * Where `id`'s result can be had now that none of `location.holders` has it: another live holder the directory
   * knows, or the peer that recomputed it (the run is taken back for that). Used by `recompute` above and for
   * remote submitters (`result:recover`, remote-lineage.ts), who then fetch the bytes themselves. Rejects with a
   * PeerError naming the function and the lost holders when the lineage cannot be used, or with the recompute's
   * TaskError when it failed for good.
   */
  async relocate(
    state: RunState,
    id: string,
    location: ResultLocation,
    closed: boolean,
  ): Promise<ResultLocation> {
    const i = state.index.get(id);
    if (i === undefined || closed || Date.now() > state.lineageUntil || state.run.isCancelled) {
      throw lostResultError(state.run.id, id, location);
    }
    // The holders did not answer: forget them, so the recompute (and any consumer) looks elsewhere.
    for (const h of location.holders) this.deps.directory.remove(location.hash, h);
    state.run.setLocation(id, { hash: location.hash, size: location.size, holders: [] });
    const elsewhere = this.deps.dispatcher.locate(state, i);
    if (elsewhere) {
      state.run.setLocation(id, elsewhere);
      return elsewhere;
    }
    if (state.finished) {
      state.reopen();
      this.deps.revive(state);
      this.deps.outcomes.adopt(state);
    }
    return new Promise((resolve, reject) => {
      const first = state.waitForLostResult(i, { resolve, reject });
      if (first && !this.deps.dispatcher.inflight.has(state, i)) {
        this.deps.dispatcher.enqueue(state, i, true);
      }
    });
  }

  /** A recompute succeeded: tell those waiting where its result is. */
  recomputed(state: RunState, i: number): void {
    const waiters = state.takeLostResultWaiters(i);
    if (!waiters) return;
    const location = state.run.location(state.id(i));
    for (const w of waiters) {
      if (location && (location.inline || location.holders.length > 0)) w.resolve(location);
      else w.reject(lostResultError(state.run.id, state.id(i), location ?? emptyLocation(state, i)));
    }
    this.retireIfIdle(state);
  }

  /** Recomputing failed for good: those waiting get the error. */
  failed(state: RunState, i: number, error: TaskError): void {
    const waiters = state.takeLostResultWaiters(i);
    if (!waiters) return;
    for (const w of waiters) w.reject(error);
    this.retireIfIdle(state);
  }

  private retireIfIdle(state: RunState): void {
    if (state.waitsForLostResults || state.finished || !state.run.records().every((r) => isEnded(r.status)))
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
