/**
 * The ready queue of the coordinator: functions whose inputs are ready, from every run at once. Replaceable (like
 * piscina's task queue): the coordinator only uses this interface. The default takes round-robin by run, one
 * function per run per turn, so a run with ten ready functions gets its share of every batch even while another
 * run has ten thousand queued — no DAG waits for another's whole DAG.
 */

export interface QueueItem {
  /** The run the function belongs to; fairness is between runs. */
  readonly runKey: string;
}

export interface ReadyQueue<T extends QueueItem> {
  readonly size: number;
  /** Adds at the back of its run's line. */
  push(item: T): void;
  /** Puts items back at the front of their runs' lines (not placed this time), keeping their order. */
  putBack(items: readonly T[]): void;
  /** Removes and returns up to `max` items, interleaved fairly across runs. */
  take(max: number): T[];
  /** Removes every item matching; returns how many. */
  remove(predicate: (item: T) => boolean): number;
}

/** A FIFO with O(1) shift (an array with a moving head, compacted now and then). */
class Line<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  unshiftAll(items: readonly T[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  removeWhere(predicate: (item: T) => boolean): number {
    const kept = this.items.slice(this.head).filter((i) => !predicate(i));
    const removed = this.length - kept.length;
    this.items = kept;
    this.head = 0;
    return removed;
  }
}

/** Round-robin across runs. */
export function createFairQueue<T extends QueueItem>(): ReadyQueue<T> {
  const lines = new Map<string, Line<T>>();
  /** Runs in turn order; the run served last moves to the back. */
  let order: string[] = [];
  let size = 0;

  const line = (runKey: string): Line<T> => {
    let l = lines.get(runKey);
    if (!l) {
      l = new Line();
      lines.set(runKey, l);
      order.push(runKey);
    }
    return l;
  };

  return {
    get size() {
      return size;
    },
    push(item) {
      line(item.runKey).push(item);
      size++;
    },
    putBack(items) {
      const byRun = new Map<string, T[]>();
      for (const item of items) {
        let list = byRun.get(item.runKey);
        if (!list) {
          list = [];
          byRun.set(item.runKey, list);
        }
        list.push(item);
      }
      for (const [runKey, list] of byRun) line(runKey).unshiftAll(list);
      size += items.length;
    },
    take(max) {
      const out: T[] = [];
      if (max <= 0 || size === 0) return out;
      const served: string[] = [];
      while (out.length < max && size > 0) {
        let progressed = false;
        for (const runKey of order) {
          if (out.length >= max) break;
          const item = lines.get(runKey)?.shift();
          if (item === undefined) continue;
          out.push(item);
          size--;
          progressed = true;
          if (!served.includes(runKey)) served.push(runKey);
        }
        if (!progressed) break;
      }
      // Drop empty lines; runs served this time go to the back so the next batch starts with the others.
      order = order.filter((k) => (lines.get(k)?.length ?? 0) > 0 || !lines.delete(k));
      order = [...order.filter((k) => !served.includes(k)), ...order.filter((k) => served.includes(k))];
      return out;
    },
    remove(predicate) {
      let removed = 0;
      for (const l of lines.values()) removed += l.removeWhere(predicate);
      size -= removed;
      return removed;
    },
  };
}
