/**
 * The in-memory result store: for tests, local runs and as a fast tier in front of a persistent store. Bounded by
 * bytes with LRU eviction (see lru.ts) and checked on read like every store (see integrity.ts), so it behaves
 * exactly like the disk and IndexedDB stores and one contract suite covers all three.
 */
import { StoreBookkeeping } from './bookkeeping.js';
import { assertBytes } from './errors.js';
import { decodeRecord } from './integrity.js';
import type { ResultStore, ResultStoreStats } from './types.js';

export interface MemoryStoreOptions {
  /** Upper bound on the bytes of values held; least-recently-used entries are evicted past it. Default: Infinity. */
  readonly maxBytes?: number;
}

/** The records of each memory store, reachable only through `memoryStoreRecordsForTesting`. */
const recordsOf = new WeakMap<ResultStore, Map<string, Uint8Array>>();

export function createMemoryStore(options: MemoryStoreOptions = {}): ResultStore {
  const book = new StoreBookkeeping('memory', options.maxBytes ?? Number.POSITIVE_INFINITY);
  const { lru } = book;
  const records = new Map<string, Uint8Array>();

  const store: ResultStore = {
    async get(hash) {
      book.ensureOpenFor(hash);
      const record = records.get(hash);
      if (record === undefined) {
        book.misses++;
        return undefined;
      }
      const value = decodeRecord(record);
      if (value === undefined) {
        records.delete(hash);
        lru.remove(hash);
        book.corrupt++;
        book.misses++;
        return undefined;
      }
      lru.touch(hash);
      book.hits++;
      return value;
    },

    async put(hash, bytes) {
      book.ensureOpenFor(hash);
      assertBytes(hash, bytes);
      // The records map is the storage itself, so admitting into it is the whole put.
      book.admit(records, hash, bytes);
    },

    async has(hash) {
      return book.has(hash);
    },

    async delete(hash) {
      book.ensureOpenFor(hash);
      records.delete(hash);
      lru.remove(hash);
    },

    async keys() {
      return book.keys();
    },

    async stats(): Promise<ResultStoreStats> {
      return book.stats();
    },

    async close() {
      book.markClosed();
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
