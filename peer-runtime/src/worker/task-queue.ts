/**
 * The pool's queue of tasks waiting for a worker: FIFO, with a front for tasks that lost their worker (they were
 * already first in line once), lazy removal of tasks cancelled while queued, and batch taking.
 */
export interface QueuedTask {
  /** Settled (cancelled) while queued: skipped when met. */
  readonly done: boolean;
  /** Must be the only task of its batch. */
  readonly alone: boolean;
}

export class TaskQueue<T extends QueuedTask> {
  private items: T[] = [];
  private head = 0;
  private live = 0;

  /** Tasks queued and not yet settled. */
  get size(): number {
    return this.live;
  }

  push(task: T): void {
    this.live++;
    this.items.push(task);
  }

  /** Put a task back at the front (it was dispatched once and its worker went away). */
  unshift(task: T): void {
    this.live++;
    if (this.head > 0) this.items[--this.head] = task;
    else this.items.unshift(task);
  }

  /** A queued task was settled where it stands (cancelled); it will be skipped. */
  forget(): void {
    this.live--;
  }

  /** The task `take` would take first, if any. */
  peek(): T | undefined {
    while (this.head < this.items.length && this.items[this.head]!.done) this.head++;
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /**
   * Up to `max` tasks from the front, and no more than `budget` of their `cost` (the first task is taken
   * whatever its cost); a task that must travel alone ends the batch or is taken by itself.
   */
  take(max: number, cost?: (task: T) => number, budget = Number.POSITIVE_INFINITY): T[] {
    const batch: T[] = [];
    let spent = 0;
    while (this.head < this.items.length && batch.length < max) {
      const task = this.items[this.head]!;
      if (task.done) {
        this.head++;
        continue;
      }
      if (task.alone && batch.length > 0) break;
      if (cost !== undefined) {
        spent += cost(task);
        if (spent > budget && batch.length > 0) break;
      }
      this.head++;
      this.live--;
      batch.push(task);
      if (task.alone) break;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** Remove and return every task still waiting; the caller settles each and calls `forget` for it. */
  drain(): T[] {
    const rest = this.items.slice(this.head).filter((t) => !t.done);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
