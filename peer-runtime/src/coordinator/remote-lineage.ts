/**
 * The coordinator's side of `result:recover`: a remote submitter whose fetch of a final result found no holder
 * asks its coordinator, which recomputes the function from the run's lineage exactly as for an in-process run
 * (LostResults.relocate) and answers `result:recovered` with where the result is now, or why it cannot be had.
 *
 * A finished remote run is kept here for `keepLineageMs` (nobody else holds its state once it is retired);
 * expired runs are dropped by a timer set for the earliest expiry, and a submitter's runs when it leaves the
 * mesh. The kept runs hold at most `maxFunctions` functions together: past it, the oldest runs go first (a
 * coordinator serving many large DAGs must not hold ten minutes of them in memory; a submitter asking for such a
 * run gets the "no longer keeps the lineage" answer, as after the window).
 */

import { type GrantIssuer, grantFor } from '../mesh/fetch-grants.js';
import type { ResultLocation } from '../mesh/mesh-run.js';
import type { MeshPort } from '../mesh/port.js';
import type { ResultRecoverMessage, WireAttempt } from '../protocol/messages.js';
import type { LostResults } from './lost-results.js';
import { remoteRunKey } from './run-registry.js';
import type { RunState } from './run-state.js';

export interface RemoteLineageDeps {
  readonly port: MeshPort;
  readonly lineage: LostResults;
  /** A remote run still going on, by `submitter\0runId`. */
  readonly running: (key: string) => RunState | undefined;
  /** True once the coordinator closed: nothing is recomputed any more. */
  readonly closed: () => boolean;
  /** Most functions the kept runs may hold together; the oldest runs are dropped past it. Default 200 000. */
  readonly maxFunctions?: number;
  /** Mints the submitter's tickets for the recovered location; undefined: none (holders check none). */
  readonly grants?: GrantIssuer;
}

export class RemoteLineage {
  /** In the order they finished (oldest first), which is the order they are dropped in. */
  private readonly kept = new Map<string, RunState>();
  private functions = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: RemoteLineageDeps) {}

  /** Runs kept now (for tests and stats). */
  get size(): number {
    return this.kept.size;
  }

  static key(submitter: string, runId: string): string {
    return remoteRunKey(submitter, runId);
  }

  /** A remote run finished: keep its state while its lineage may be used. */
  keep(state: RunState): void {
    this.prune();
    if (state.submitter === undefined || state.lineageUntil <= Date.now()) return;
    const key = RemoteLineage.key(state.submitter, state.run.id);
    this.drop(key);
    this.kept.set(key, state);
    this.functions += state.n;
    const max = this.deps.maxFunctions ?? 200_000;
    for (const oldest of this.kept.keys()) {
      if (this.functions <= max || oldest === key) break;
      this.drop(oldest);
    }
    this.schedule();
  }

  /** The submitter left the mesh: nobody will ask for its runs' results. */
  forget(submitter: string): void {
    for (const [key, s] of this.kept) if (s.submitter === submitter) this.drop(key);
  }

  clear(): void {
    this.kept.clear();
    this.functions = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drop(key: string): void {
    const state = this.kept.get(key);
    if (!state) return;
    this.kept.delete(key);
    this.functions -= state.n;
  }

  private prune(): void {
    const now = Date.now();
    for (const [key, s] of this.kept) if (s.lineageUntil <= now) this.drop(key);
  }

  /** A timer for the earliest expiry, so an idle coordinator lets go of expired runs too. */
  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const s of this.kept.values()) earliest = Math.min(earliest, s.lineageUntil);
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.prune();
        this.schedule();
      },
      Math.max(0, earliest - Date.now()) + 1,
    );
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Answers one `result:recover` from `from` (only a run's own submitter may ask for its results). */
  async answer(from: string, message: ResultRecoverMessage): Promise<void> {
    const { requestId, runId, functionId } = message;
    const attempts = new Map<string, WireAttempt>();
    const reply = (outcome: { location: ResultLocation } | { error: string }): void => {
      const location =
        'location' in outcome
          ? {
              hash: outcome.location.hash,
              size: outcome.location.size,
              holders: [...outcome.location.holders],
              ...(outcome.location.inline && { inline: outcome.location.inline }),
              ...grantFor(this.deps.grants, outcome.location, from),
            }
          : undefined;
      this.deps.port.post(from, {
        type: 'result:recovered',
        requestId,
        runId,
        functionId,
        ...(location ? { location } : { error: (outcome as { error: string }).error }),
        attempts: [...attempts.values()],
      });
    };
    const key = RemoteLineage.key(from, runId);
    const state = this.deps.running(key) ?? this.kept.get(key);
    const self = this.deps.port.peerId;
    if (!state || Date.now() > state.lineageUntil) {
      this.drop(key);
      reply({
        error: `coordinator '${self}' no longer keeps the lineage of run '${runId}' (kept for keepLineageMs after the run ends)`,
      });
      return;
    }
    const i = state.index.get(functionId);
    if (i === undefined) {
      reply({ error: `run '${runId}' has no function '${functionId}'` });
      return;
    }
    const status = state.run.record(functionId).status;
    if (status !== 'succeeded') {
      reply({ error: `function '${functionId}' of run '${runId}' did not succeed (${status})` });
      return;
    }
    // The history entries the recompute opens and closes, latest form of each, for the submitter's records.
    const off = state.run.onMeshEvent('task:attempt', ({ id, attempt: a }) => {
      const entry: { -readonly [K in keyof WireAttempt]: WireAttempt[K] } = {
        id,
        attempt: a.attempt,
        peer: a.peer,
        startedAt: a.startedAt,
      };
      if (a.endedAt !== undefined) entry.endedAt = a.endedAt;
      if (a.error !== undefined) entry.error = a.error;
      attempts.set(`${id}\0${a.attempt}\0${a.peer}`, entry);
    });
    try {
      const lost = state.run.location(functionId) ?? { hash: state.hashes[i]!, size: 0, holders: [] };
      reply({ location: await this.deps.lineage.relocate(state, functionId, lost, this.deps.closed()) });
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      off();
    }
  }
}
