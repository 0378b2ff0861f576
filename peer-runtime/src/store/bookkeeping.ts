/**
 * What every result store keeps beside its bytes, in one place so the memory, disk and IndexedDB stores count,
 * admit and reconcile the same way (one contract suite covers all three): the LRU index, the counters behind
 * `stats()`, the closed check, the put admission, and for the persistent stores the writes still in flight.
 */
import { assertHash, assertMaxBytes, StoreClosedError } from './errors.js';
import { encodeRecord } from './integrity.js';
import { type LruEntryInfo, LruIndex } from './lru.js';
import type { ResultStoreStats } from './types.js';

export interface AdmittedRecord {
  /** The encoded record (header + value) to write, or undefined when the value is larger than `maxBytes`. */
  readonly record: Uint8Array | undefined;
  /** The LRU tick of the new entry (0 when not admitted); persistent stores save it next to the size. */
  readonly tick: number;
  /** Hashes evicted to make room: the store deletes their bytes. */
  readonly evicted: readonly string[];
}

export interface RestoredIndex {
  /** LRU rows whose record is missing. */
  readonly dangling: string[];
  /** Entries that no longer fit under `maxBytes` (least recently used first): both row and record go. */
  readonly evicted: string[];
  /** Records without an LRU row (not counting `evicted`). */
  readonly orphans: string[];
}

export class StoreBookkeeping {
  readonly lru: LruIndex;
  /** Gets that returned a value. */
  hits = 0;
  /** Gets that found nothing (including corrupt entries). */
  misses = 0;
  /** Entries that failed their integrity check on read. */
  corrupt = 0;
  #closed = false;

  /** `label` names the store in StoreClosedError (e.g. `disk:/var/cache/handout`). */
  constructor(
    readonly label: string,
    maxBytes: number,
  ) {
    assertMaxBytes(maxBytes);
    this.lru = new LruIndex(maxBytes);
  }

  /** Throws StoreClosedError after `markClosed`. */
  ensureOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.label);
  }

  /** The check at the start of every call that takes a hash: closed is reported first, then a bad hash. */
  ensureOpenFor(hash: string): void {
    this.ensureOpen();
    assertHash(hash);
  }

  /** Marks the store closed; returns false when it already was (close twice is fine). */
  markClosed(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /**
   * Admits a put into the LRU index and keeps `records` (the memory store's records, or a persistent store's
   * not-yet-committed ones) in step: the new record is set (or the hash dropped when too large) and victims leave.
   */
  admit(records: Map<string, Uint8Array>, hash: string, bytes: Uint8Array): AdmittedRecord {
    const { admitted, tick, evicted } = this.lru.admit(hash, bytes.length);
    const record = admitted ? encodeRecord(bytes) : undefined;
    if (record) records.set(hash, record);
    else records.delete(hash);
    for (const victim of evicted) records.delete(victim);
    return { record, tick, evicted };
  }

  /**
   * Rebuilds the LRU index on open from the persisted rows and the keys of the records present, and says what
   * the store must delete to make rows and records agree again.
   */
  restore(rows: readonly LruEntryInfo[], recordKeys: ReadonlySet<string>): RestoredIndex {
    const dangling = rows.filter((row) => !recordKeys.has(row.hash)).map((row) => row.hash);
    const evicted = this.lru.restore(rows.filter((row) => recordKeys.has(row.hash)));
    const orphans = [...recordKeys].filter((hash) => !this.lru.has(hash) && !evicted.includes(hash));
    return { dangling, evicted, orphans };
  }

  /** `ResultStore.has`: whether the index holds `hash` (the index is the authority on what a store holds). */
  has(hash: string): boolean {
    this.ensureOpenFor(hash);
    return this.lru.has(hash);
  }

  /** `ResultStore.keys`: the hashes held, least recently used first. */
  keys(): string[] {
    this.ensureOpen();
    return this.lru.keys();
  }

  /** `ResultStore.stats`. */
  stats(): ResultStoreStats {
    this.ensureOpen();
    const { lru } = this;
    return {
      entries: lru.entries,
      bytes: lru.bytes,
      maxBytes: lru.maxBytes,
      hits: this.hits,
      misses: this.misses,
      evictions: lru.evictions,
      corrupt: this.corrupt,
      oversized: lru.oversized,
    };
  }
}

/**
 * The writes of a persistent store that have not committed yet: their records, so a get right after an
 * un-awaited put still finds them, and their promises, so close can wait for them.
 */
export class PendingWrites {
  readonly records = new Map<string, Uint8Array>();
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Remembers `write` until it settles and returns it. */
  track<T>(write: Promise<T>): Promise<T> {
    this.#inFlight.add(write);
    const done = (): void => {
      this.#inFlight.delete(write);
    };
    write.then(done, done);
    return write;
  }

  /** After a put's write: drops its record unless a later put of the same hash has replaced it meanwhile. */
  settle(hash: string, record: Uint8Array | undefined): void {
    if (record && this.records.get(hash) === record) this.records.delete(hash);
  }

  /** Waits for every write in flight, whether it succeeds or not. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }
}
