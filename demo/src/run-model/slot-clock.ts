/**
 * When a function really started on a peer that was given work ahead of its free slots.
 *
 * On a mesh, `task:started` is the coordinator's dispatch, and coordinators pipeline: a peer gets more functions
 * than it has slots, so the next one is already there when a worker frees up. A peer with `slots` workers runs
 * what it was given in order, so a finished attempt started at the later of its dispatch and the moment a slot
 * of its peer was free (the earliest end among the attempts before it), and never after its own end.
 */
export class SlotClock {
  /** When each slot is free again. */
  private readonly free: number[];

  constructor(readonly slots: number) {
    this.free = new Array<number>(Math.max(1, slots)).fill(Number.NEGATIVE_INFINITY);
  }

  /** The start of an attempt dispatched at `dispatchedAt` that ended at `end`; the slot it took is busy until `end`. */
  place(dispatchedAt: number, end: number): number {
    let k = 0;
    for (let j = 1; j < this.free.length; j++) if (this.free[j]! < this.free[k]!) k = j;
    const start = Math.min(end, Math.max(dispatchedAt, this.free[k]!));
    this.free[k] = Math.max(this.free[k]!, end);
    return start;
  }
}
