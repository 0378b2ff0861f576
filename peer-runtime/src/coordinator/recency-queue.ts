/**
 * Least-recently-used order of items that carry their own slot number (`queuedAt`), for the result directory's
 * inline bytes. A Map used as an LRU (delete, re-insert) costs ~40 B per item in its hash table; this is one array
 * slot (8 B) per item: touching an item empties its old slot and appends it, and the oldest are taken from the
 * front, skipping empty slots. The array is compacted when empty slots outnumber the live ones, so its length
 * stays within twice the items plus a constant.
 */

export interface Queued {
  /** Absolute slot number while queued; 0 when not queued. Written only by the queue. */
  queuedAt: number;
}

export class RecencyQueue<T extends Queued> {
  private slots: (T | undefined)[] = [];
  /** Absolute number of `slots[0]` (numbers start at 1, so 0 can mean "not queued"). */
  private base = 1;
  private head = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Marks `item` most recently used (queues it if it was not). */
  touch(item: T): void {
    this.remove(item);
    item.queuedAt = this.base + this.slots.length;
    this.slots.push(item);
    this.live++;
  }

  /** Takes `item` out of the order, if it is in it. */
  remove(item: T): void {
    if (item.queuedAt === 0) return;
    const k = item.queuedAt - this.base;
    if (this.slots[k] === item) {
      this.slots[k] = undefined;
      this.live--;
    }
    item.queuedAt = 0;
    if (this.slots.length - this.head - this.live > this.live + 1024) this.compact();
  }

  /** The least recently used item, taken out of the order; undefined when empty. */
  takeOldest(): T | undefined {
    while (this.head < this.slots.length) {
      const item = this.slots[this.head];
      this.slots[this.head] = undefined;
      this.head++;
      if (item === undefined) continue;
      item.queuedAt = 0;
      this.live--;
      if (this.head > 1024 && this.head * 2 > this.slots.length) this.compact();
      return item;
    }
    return undefined;
  }

  private compact(): void {
    const kept: T[] = [];
    for (let k = this.head; k < this.slots.length; k++) {
      const item = this.slots[k];
      if (item !== undefined) kept.push(item);
    }
    this.base += this.slots.length;
    this.slots = kept;
    this.head = 0;
    for (let k = 0; k < kept.length; k++) kept[k]!.queuedAt = this.base + k;
  }
}
