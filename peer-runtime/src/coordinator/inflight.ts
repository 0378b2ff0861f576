/**
 * The coordinator's dispatches in flight, per function: one, or more while a straggler or a queued function has a
 * copy, or a verified function has replicas. The dispatcher adds them (dispatcher.ts `dispatch`); outcomes.ts,
 * failure handling, verify.ts and rebalance.ts end them through the named methods below, so the map has one
 * owner and every change to it says what happened.
 *
 * A function whose last dispatch is removed is no longer in flight (its entry goes with it): the code that
 * removed it decides in the same step what happens next (succeed, retry, requeue), so no caller ever saw an
 * empty list.
 */
import type { Dispatch } from './peer-loads.js';
import type { RunState } from './run-state.js';

export class Inflight {
  /** By `inflightKey(run, index)`. */
  private readonly byFunction = new Map<string, Dispatch[]>();

  /** Whether function `i` of `run` has a dispatch in flight. */
  has(run: RunState, i: number): boolean {
    return this.byFunction.has(inflightKey(run, i));
  }

  /** The dispatches of function `i` of `run` in flight, oldest first; empty when none. */
  of(run: RunState, i: number): readonly Dispatch[] {
    return this.byFunction.get(inflightKey(run, i)) ?? NONE;
  }

  /** How many dispatches of function `i` of `run` are in flight. */
  count(run: RunState, i: number): number {
    return this.byFunction.get(inflightKey(run, i))?.length ?? 0;
  }

  /** A new dispatch (a first attempt, a retry, a copy or a replica). */
  add(d: Dispatch): void {
    const k = inflightKey(d.run, d.index);
    const list = this.byFunction.get(k);
    if (list) list.push(d);
    else this.byFunction.set(k, [d]);
  }

  /**
   * One dispatch ended (it failed, its peer was lost, its answer was counted). Returns how many of its function
   * are still in flight, or undefined when `d` was not in flight (already ended, or its function ended).
   */
  remove(d: Dispatch): number | undefined {
    const k = inflightKey(d.run, d.index);
    const list = this.byFunction.get(k);
    const at = list?.indexOf(d) ?? -1;
    if (!list || at < 0) return undefined;
    list.splice(at, 1);
    if (list.length === 0) this.byFunction.delete(k);
    return list.length;
  }

  /** Function `i` of `run` ended (succeeded, or it goes back to the queue): its dispatches, no longer in flight. */
  take(run: RunState, i: number): Dispatch[] {
    const k = inflightKey(run, i);
    const list = this.byFunction.get(k) ?? [];
    this.byFunction.delete(k);
    return list;
  }

  /** `run` was cancelled: every dispatch of it, no longer in flight. */
  takeRun(run: RunState): Dispatch[] {
    const out: Dispatch[] = [];
    for (const [k, list] of this.byFunction) {
      if (list[0]?.run !== run) continue;
      this.byFunction.delete(k);
      out.push(...list);
    }
    return out;
  }

  /** Every function in flight, as its dispatches (straggler detection: failures.ts `findStragglers`). */
  functions(): IterableIterator<readonly Dispatch[]> {
    return this.byFunction.values();
  }
}

const NONE: readonly Dispatch[] = [];

/** A function of a run as a map key: unique per coordinator (run keys are). */
export function inflightKey(run: RunState, index: number): string {
  return `${run.key}\0${index}`;
}
