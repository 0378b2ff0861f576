/**
 * The runs a coordinator holds: by the key agents see (`r1`, `r2`, ...), and the remote ones also by their
 * submitter and the submitter's run id (a resubmission, `run:cancel` and `result:recover` name them that way);
 * plus the tally of finished runs that `stats()` reports.
 */
import type { RunStatus, RunSummary } from '../run/types.js';
import type { RunState } from './run-state.js';

/** How a remote run is found from its submitter's side: the submitter's id and its own run id. */
export function remoteRunKey(submitter: string, runId: string): string {
  return `${submitter}\0${runId}`;
}

export class RunRegistry {
  private readonly byKey = new Map<string, RunState>();
  /** Remote runs still running, by `remoteRunKey`. */
  private readonly remote = new Map<string, RunState>();
  private nextKey = 1;
  private readonly done: Partial<Record<RunStatus, number>> = {};
  private doneMs = 0;

  /** A key no run of this coordinator had. */
  newKey(): string {
    return `r${this.nextKey++}`;
  }

  add(state: RunState): void {
    this.byKey.set(state.key, state);
    if (state.submitter !== undefined) this.remote.set(remoteRunKey(state.submitter, state.run.id), state);
  }

  /** A finished run taken back to recompute a lost result (lost-results.ts): found by its key again. */
  revive(state: RunState): void {
    this.byKey.set(state.key, state);
  }

  /** A run finished: no longer found by either key. */
  remove(state: RunState): void {
    this.byKey.delete(state.key);
    if (state.submitter !== undefined) this.remote.delete(remoteRunKey(state.submitter, state.run.id));
  }

  /** The running remote run `runId` of `submitter`. */
  remoteRun(submitter: string, runId: string): RunState | undefined {
    return this.remote.get(remoteRunKey(submitter, runId));
  }

  /** The running remote run by its `remoteRunKey` (remote-lineage.ts asks this way). */
  remoteByKey(key: string): RunState | undefined {
    return this.remote.get(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<RunState> {
    return this.byKey.values();
  }

  /** Counts a finished run in `stats()`. */
  tally(summary: RunSummary): void {
    this.done[summary.status] = (this.done[summary.status] ?? 0) + 1;
    this.doneMs += summary.endedAt - summary.startedAt;
  }

  runsDone(): Partial<Record<RunStatus, number>> {
    return { ...this.done };
  }

  get runMs(): number {
    return this.doneMs;
  }
}
