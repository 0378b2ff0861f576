/**
 * The LRU bookkeeping shared by every result store: recency order, byte accounting and the choice of what to
 * evict. Stores keep their bytes wherever they like (a Map, LMDB, IndexedDB); this index is the one place that
 * decides which hashes stay. It never touches values, so a store can evict without reading blobs.
 *
 * Recency is a logical clock: every insert or touch takes the next tick. Persistent stores save the tick next to
 * each entry's size and rebuild the same order on open with `restore`.
 */
import { assertMaxBytes } from './errors.js';

export interface LruEntryInfo {
  readonly hash: string;
  readonly size: number;
  /** The logical time of the last put or get; larger is more recent. */
  readonly tick: number;
}

export interface AdmitResult {
  /** False when the value alone is larger than `maxBytes`: it is not kept (and any older entry under its hash is dropped). */
  readonly admitted: boolean;
  /** The tick given to the entry (0 when not admitted). */
  readonly tick: number;
  /** Hashes removed from the index to make room, least recently used first. The store deletes their bytes. */
  readonly evicted: readonly string[];
}

export class LruIndex {
  /** Map iteration order is insertion order, so deleting and re-inserting a key moves it to the most-recent end. */
  readonly #entries = new Map<string, { size: number; tick: number }>();
  #bytes = 0;
  #clock = 0;

  /** Entries evicted to make room (or trimmed on restore) since this index was made. */
  evictions = 0;
  /** Puts refused because the value alone is larger than `maxBytes`. */
  oversized = 0;

  constructor(readonly maxBytes: number) {
    assertMaxBytes(maxBytes);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#entries.size;
  }

  has(hash: string): boolean {
    return this.#entries.has(hash);
  }

  sizeOf(hash: string): number | undefined {
    return this.#entries.get(hash)?.size;
  }

  /** The tick of the last put or get of `hash` (changes whenever the entry is used or replaced). */
  tickOf(hash: string): number | undefined {
    return this.#entries.get(hash)?.tick;
  }

  /** Hashes from least to most recently used. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Marks `hash` as just used. Returns its new tick, or undefined when the hash is not held. */
  touch(hash: string): number | undefined {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return undefined;
    this.#entries.delete(hash);
    entry.tick = ++this.#clock;
    this.#entries.set(hash, entry);
    return entry.tick;
  }

  /**
   * Records a put of `size` bytes under `hash` as the most recent entry, evicting least-recently-used entries
   * until everything fits under `maxBytes`. A value larger than `maxBytes` cannot fit at all: it is refused, and
   * an older entry under the same hash is removed so a later get never returns bytes that contradict this put.
   */
  admit(hash: string, size: number): AdmitResult {
    this.remove(hash);
    if (size > this.maxBytes) {
      this.oversized++;
      return { admitted: false, tick: 0, evicted: [] };
    }
    const evicted: string[] = [];
    for (const [victim, entry] of this.#entries) {
      if (this.#bytes + size <= this.maxBytes) break;
      this.#entries.delete(victim);
      this.#bytes -= entry.size;
      evicted.push(victim);
    }
    this.evictions += evicted.length;
    const tick = ++this.#clock;
    this.#entries.set(hash, { size, tick });
    this.#bytes += size;
    return { admitted: true, tick, evicted };
  }

  /** Forgets `hash`. Returns whether it was held. */
  remove(hash: string): boolean {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return false;
    this.#entries.delete(hash);
    this.#bytes -= entry.size;
    return true;
  }

  /**
   * Rebuilds the index from persisted entries (any order), keeping their recency, and returns the hashes that no
   * longer fit (e.g. the store was reopened with a smaller bound), least recently used first. The clock resumes
   * after the largest restored tick so new uses are always more recent.
   */
  restore(entries: Iterable<LruEntryInfo>): string[] {
    const sorted = [...entries].sort((a, b) => a.tick - b.tick);
    for (const { hash, size, tick } of sorted) {
      this.remove(hash);
      this.#entries.set(hash, { size, tick });
      this.#bytes += size;
      if (tick > this.#clock) this.#clock = tick;
    }
    return this.#trim();
  }

  #trim(): string[] {
    const evicted: string[] = [];
    for (const [victim, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(victim);
      this.#bytes -= entry.size;
      evicted.push(victim);
    }
    this.evictions += evicted.length;
    return evicted;
  }
}
