/**
 * Functions the allocator could not place because no current peer may run them: reported waiting once (with what
 * is unmet), parked until the mesh changes, and failed as `unsatisfiable` once they waited `timeoutMs`
 * (scheduling/unsatisfiable-watch.ts), or at once when every allowed peer is cut off from an input.
 */
import { TaskError } from '../errors.js';
import type { Allocation } from '../scheduling/types.js';
import { createUnsatisfiableWatch, type UnsatisfiableWatch } from '../scheduling/unsatisfiable-watch.js';
import type { ReadyItem } from './dispatcher.js';
import { type BlockedInput, describeBlocked } from './reachability.js';
import type { RunState } from './run-state.js';

export interface WaitsDeps {
  readonly timeoutMs: number;
  /** A function waits for a peer that can run it (reason visible to users). */
  readonly onWaiting: (run: RunState, index: number, unmet: string, message: string) => void;
  /** Final failure from the allocation side (unsatisfiable for too long, or no allowed peer can fetch an input). */
  readonly onUnsatisfiable: (run: RunState, index: number, error: TaskError) => void;
  /** Keeps a waiting function until the mesh changes (the dispatcher's parked set). */
  readonly park: (item: ReadyItem) => void;
}

export class UnsatisfiableWaits {
  private readonly watches = new Map<string, UnsatisfiableWatch>();
  private readonly waitingReported = new Set<string>();

  constructor(private readonly deps: WaitsDeps) {}

  forgetRun(run: RunState): void {
    this.watches.delete(run.key);
  }

  /**
   * A function every peer allowed to run it cannot fetch an input on fails now, naming the links, rather than
   * waiting `unsatisfiableTimeoutMs` for a peer that can: with two NATs and no TURN server, none will come.
   * Returns the ids failed, which `observe` then leaves alone.
   */
  failUnreachable(
    run: RunState,
    allocation: Allocation,
    byId: ReadonlyMap<string, ReadyItem>,
    blocked: ReadonlyMap<string, BlockedInput>,
  ): Set<string> {
    const failed = new Set<string>();
    for (const w of allocation.waiting) {
      const item = byId.get(w.functionId);
      // Busy peers (deferred) are no reason to fail: only a function no remaining peer may run.
      if (!item || w.reason !== 'unsatisfiable') continue;
      failed.add(w.functionId);
      const why = [...blocked].map(([peer, b]) => describeBlocked(peer, b)).join('; ');
      // The attempt that found out says what the link did (ICE failed or timed out, the candidates gathered).
      const tried = run.run.record(w.functionId).history.findLast((h) => h.error !== undefined);
      const seen = tried ? ` (attempt ${tried.attempt} on '${tried.peer}': ${tried.error})` : '';
      const attempt = Math.max(1, run.attempt[item.index]!);
      this.deps.onUnsatisfiable(
        run,
        item.index,
        new TaskError(
          w.functionId,
          attempt,
          'unsatisfiable',
          `no peer that may run '${w.functionId}' can fetch its inputs: ${why}. Peers behind separate NATs need a TURN server (handout signal --turn-url ... --turn-secret ...; docs/deploy.md)${seen}`,
        ),
      );
    }
    return failed;
  }

  observe(
    run: RunState,
    allocation: Allocation,
    byId: ReadonlyMap<string, ReadyItem>,
    back: ReadyItem[],
    failed?: ReadonlySet<string>,
  ): void {
    let watch = this.watches.get(run.key);
    if (!watch) {
      watch = createUnsatisfiableWatch({ timeoutMs: this.deps.timeoutMs });
      this.watches.set(run.key, watch);
    }
    const expired = new Map(watch.observe(allocation, Date.now()).map((e) => [e.functionId, e]));
    if (this.waitingReported.size > 0)
      for (const a of allocation.assignments) this.waitingReported.delete(`${run.key}\0${a.functionId}`);
    for (const w of allocation.waiting) {
      const item = byId.get(w.functionId);
      if (!item || failed?.has(w.functionId)) continue;
      const reportKey = `${run.key}\0${w.functionId}`;
      const expiry = expired.get(w.functionId);
      if (expiry) {
        this.waitingReported.delete(reportKey);
        const attempt = Math.max(1, run.attempt[item.index]!);
        this.deps.onUnsatisfiable(
          run,
          item.index,
          new TaskError(w.functionId, attempt, 'unsatisfiable', expiry.message),
        );
        continue;
      }
      if (w.reason === 'unsatisfiable') {
        if (!this.waitingReported.has(reportKey)) {
          this.waitingReported.add(reportKey);
          this.deps.onWaiting(run, item.index, w.unmet ?? 'a matching peer', w.message);
        }
        this.deps.park(item);
      } else {
        back.push(item);
      }
    }
  }
}
