/**
 * Result stores keep encoded function results under the function's content hash (see dag/hash.ts).
 * Implementations: in memory (tests, local runs), on disk for Node peers, IndexedDB for browsers.
 * Values are encoded with protocol/value-codec.ts before they reach a store, so every store holds the
 * same bytes and a result can move between peers without re-encoding.
 */
export interface ResultStoreStats {
  readonly entries: number;
  /** Bytes of the values held (what callers put; per-record headers and database overhead are not counted). */
  readonly bytes: number;
  /** The bound, in bytes, past which least-recently-used entries are evicted (Infinity = unbounded). */
  readonly maxBytes: number;
  // Counters since the store was opened (not persisted).
  /** Gets that returned a value. */
  readonly hits: number;
  /** Gets that found nothing (including corrupt entries). */
  readonly misses: number;
  /** Entries evicted to stay under `maxBytes`. */
  readonly evictions: number;
  /** Entries that failed their integrity check on read and were deleted. */
  readonly corrupt: number;
  /** Puts not kept because the value alone is larger than `maxBytes`. */
  readonly oversized: number;
}

export interface ResultStore {
  /**
   * The bytes stored under `hash`, or undefined. Implementations verify integrity on read and treat a corrupt
   * entry as missing (and delete it). The array returned is a fresh copy the caller owns (it may be transferred
   * to a worker). A get makes the entry the most recently used; `has` does not.
   */
  get(hash: string): Promise<Uint8Array | undefined>;
  /**
   * Stores a copy of `bytes` as the most recently used entry, evicting least-recently-used entries to stay under
   * `maxBytes`. A store is a cache: a value larger than `maxBytes` is not kept (counted in `stats().oversized`),
   * and any entry may later be evicted, so callers must handle a miss.
   */
  put(hash: string, bytes: Uint8Array): Promise<void>;
  has(hash: string): Promise<boolean>;
  delete(hash: string): Promise<void>;
  /** All hashes held (for announcing holdings to a coordinator). */
  keys(): Promise<string[]>;
  stats(): Promise<ResultStoreStats>;
  /** Waits for pending writes, then releases the store. Later calls reject with StoreClosedError; close twice is fine. */
  close(): Promise<void>;
}
