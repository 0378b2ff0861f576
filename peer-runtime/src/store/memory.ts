/**
 * The in-memory result store: for tests, local runs and as a fast tier in front of a persistent store. Bounded by
 * bytes with LRU eviction (see lru.ts) and checked on read like every store (see integrity.ts), so it behaves
 * exactly like the disk and IndexedDB stores and one contract suite covers all three.
 */
import { assertBytes, assertHash, StoreClosedError } from './errors.js';
import { decodeRecord, encodeRecord } from './integrity.js';
import { LruIndex } from './lru.js';
import type { ResultStore, ResultStoreStats } from './types.js';

export interface MemoryStoreOptions {
  /** Upper bound on the bytes of values held; least-recently-used entries are evicted past it. Default: Infinity. */
  readonly maxBytes?: number;
}

/** The records of each memory store, reachable only through `memoryStoreRecordsForTesting`. */
const recordsOf = new WeakMap<ResultStore, Map<string, Uint8Array>>();

export function createMemoryStore(options: MemoryStoreOptions = {}): ResultStore {
  const lru = new LruIndex(options.maxBytes ?? Number.POSITIVE_INFINITY);
  const records = new Map<string, Uint8Array>();
  let closed = false;
  let hits = 0;
  let misses = 0;
  let corrupt = 0;

  const open = (): void => {
    if (closed) throw new StoreClosedError('memory');
  };

  const store: ResultStore = {
    async get(hash) {
      open();
      assertHash(hash);
      const record = records.get(hash);
      if (record === undefined) {
        misses++;
        return undefined;
      }
      const value = decodeRecord(record);
      if (value === undefined) {
        records.delete(hash);
        lru.remove(hash);
        corrupt++;
        misses++;
        return undefined;
      }
      lru.touch(hash);
      hits++;
      return value;
    },

    async put(hash, bytes) {
      open();
      assertHash(hash);
      assertBytes(hash, bytes);
      const { admitted, evicted } = lru.admit(hash, bytes.length);
      for (const victim of evicted) records.delete(victim);
      if (admitted) records.set(hash, encodeRecord(bytes));
      else records.delete(hash);
    },

    async has(hash) {
      open();
      assertHash(hash);
      return records.has(hash);
    },

    async delete(hash) {
      open();
      assertHash(hash);
      records.delete(hash);
      lru.remove(hash);
    },

    async keys() {
      open();
      return lru.keys();
    },

    async stats(): Promise<ResultStoreStats> {
      open();
      return {
        entries: lru.entries,
        bytes: lru.bytes,
        maxBytes: lru.maxBytes,
        hits,
        misses,
        evictions: lru.evictions,
        corrupt,
        oversized: lru.oversized,
      };
    },

    async close() {
      closed = true;
      records.clear();
    },
  };
  recordsOf.set(store, records);
  return store;
}

/**
 * For tests only (not exported from the package): the live map of records (header + value, see integrity.ts)
 * behind a memory store, so a test can corrupt one directly.
 */
export function memoryStoreRecordsForTesting(store: ResultStore): Map<string, Uint8Array> {
  const records = recordsOf.get(store);
  if (records === undefined) throw new TypeError('not a memory store made by createMemoryStore');
  return records;
}
