/**
 * The pool's calls grouped by the signal that cancels them: one abort listener per signal however many calls
 * share it (a local run passes one signal for all its functions; a listener per call was measurable at
 * thousands of calls a second), added with the first call and removed with the last.
 */
import type { CancelSignal } from './cancellation.js';

export class SignalGroups<T> {
  private readonly groups = new Map<CancelSignal, Set<T>>();
  /**
   * The one listener every signal gets. A plain function, not a method bound per signal: the signal calls it
   * with `this` set to itself, which says which group to cancel, and removing it needs the same function.
   */
  private readonly onAbort: (this: CancelSignal) => void;

  /** @param aborted Called when a signal aborts, with the calls it cancels (a copy: settling them is safe). */
  constructor(aborted: (calls: T[]) => void) {
    const groups = this.groups;
    this.onAbort = function (this: CancelSignal) {
      const group = groups.get(this);
      if (group) aborted([...group]);
    };
  }

  add(signal: CancelSignal, call: T): void {
    let group = this.groups.get(signal);
    if (!group) {
      group = new Set();
      this.groups.set(signal, group);
      signal.addEventListener('abort', this.onAbort);
    }
    group.add(call);
  }

  /** `call` ended: it leaves its group, and a signal with no calls left loses its listener. */
  delete(signal: CancelSignal, call: T): void {
    const group = this.groups.get(signal);
    if (!group) return;
    group.delete(call);
    if (group.size === 0) {
      this.groups.delete(signal);
      signal.removeEventListener('abort', this.onAbort);
    }
  }
}
