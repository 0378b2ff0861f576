/**
 * The persistent result store for Node peers, on LMDB (lmdb-js 3): a memory-mapped B-tree with ACID
 * transactions, so a crash never leaves half a record and reads are served straight from the page cache.
 *
 * Layout inside `dir` (one LMDB environment, two named databases):
 * - `records`: hash → record (8-byte header with an xxh32 checksum, then the value; see integrity.ts)
 * - `lru`:     hash → [size, tick], the LRU bookkeeping, so eviction and reopening never read a value
 *
 * Recency is persisted, not guessed: every put and get gives the entry the next tick of a logical clock (lru.ts)
 * and writes it to `lru` (gets write it asynchronously; LMDB batches the writes of one event turn into one
 * transaction). On open the index is rebuilt from `lru` in tick order, so the least recently used entry before a
 * restart is still the first evicted after it; reopening with a smaller `maxBytes` evicts at once. A record and
 * its `lru` row are written and removed in the same transaction; rows without a record (or records without a row,
 * e.g. from a foreign writer) are cleaned up on open.
 *
 * One process at a time per `dir`: the in-memory index is the authority on what the store holds, so two processes
 * writing one directory at once would each evict by a stale picture. Sequential use (a peer restarts, another
 * process reads the cache later) is what this store is for.
 */
import { type Database, open as openLmdb, type RootDatabase } from 'lmdb';
import { PendingWrites, StoreBookkeeping } from './bookkeeping.js';
import { assertBytes, StoreInputError } from './errors.js';
import { decodeRecord } from './integrity.js';
import type { LruEntryInfo } from './lru.js';
import type { ResultStore, ResultStoreStats } from './types.js';

export interface DiskStoreOptions {
  /** Directory of the LMDB environment; created when missing. */
  readonly dir: string;
  /** Upper bound on the bytes of values held; least-recently-used entries are evicted past it. Default: Infinity. */
  readonly maxBytes?: number;
  /**
   * Whether each put waits until its transaction is flushed to the disk (fsync). Default: true.
   * With false (LMDB's noSync), a committed put is in the OS page cache: it survives the process dying (even
   * SIGKILL) but not a power loss or kernel crash, which may also damage the database. Measured here: an awaited
   * 1 KiB put takes ~3–6 ms durable and ~0.1–0.4 ms without (bench/store.bench.ts). Results are recomputable, so a
   * peer that stores many small results one at a time may well choose false.
   */
  readonly durable?: boolean;
}

type LruRow = [size: number, tick: number];

interface DiskHandles {
  readonly root: RootDatabase;
  readonly records: Database<Buffer, string>;
  readonly lruRows: Database<LruRow, string>;
}

const handlesOf = new WeakMap<ResultStore, DiskHandles>();

export async function createDiskStore(options: DiskStoreOptions): Promise<ResultStore> {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new StoreInputError('dir', `dir must be a non-empty path, got ${String(options?.dir)}`);
  }
  const book = new StoreBookkeeping(`disk:${options.dir}`, options.maxBytes ?? Number.POSITIVE_INFINITY);
  const { lru } = book;

  // Results are usually already dense (CBOR of numbers, images), and the checksum covers the stored bytes, so
  // LMDB's compression would cost time for little gain.
  const root = openLmdb({
    path: options.dir,
    compression: false,
    maxDbs: 4,
    noSync: options.durable === false,
  });
  const records = root.openDB<Buffer, string>('records', { encoding: 'binary' });
  const lruRows = root.openDB<LruRow, string>('lru', { encoding: 'msgpack' });

  const rows: LruEntryInfo[] = [];
  for (const { key, value } of lruRows.getRange()) rows.push({ hash: key, size: value[0], tick: value[1] });
  const { dangling, evicted, orphans } = book.restore(rows, new Set(records.getKeys()));
  if (dangling.length + evicted.length + orphans.length > 0) {
    await root.transaction(() => {
      for (const hash of [...dangling, ...evicted, ...orphans]) {
        records.remove(hash);
        lruRows.remove(hash);
      }
    });
  }

  const writes = new PendingWrites();
  const pending = writes.records;
  const track = <T>(write: Promise<T>): Promise<T> => writes.track(write);

  const forget = (hash: string): Promise<unknown> =>
    track(
      root.transaction(() => {
        records.remove(hash);
        lruRows.remove(hash);
      }),
    );

  const store: ResultStore = {
    async get(hash) {
      book.ensureOpenFor(hash);
      if (!lru.has(hash)) {
        book.misses++;
        return undefined;
      }
      // getBinaryFast returns a buffer LMDB reuses on the next read; decodeRecord copies the value out at once.
      const raw = pending.get(hash) ?? records.getBinaryFast(hash);
      const value = raw === undefined ? undefined : decodeRecord(raw);
      if (value === undefined) {
        if (raw !== undefined) book.corrupt++;
        lru.remove(hash);
        void forget(hash);
        book.misses++;
        return undefined;
      }
      const tick = lru.touch(hash)!;
      void track(lruRows.put(hash, [value.length, tick]));
      book.hits++;
      return value;
    },

    async put(hash, bytes) {
      book.ensureOpenFor(hash);
      assertBytes(hash, bytes);
      const { record, tick, evicted } = book.admit(pending, hash, bytes);
      try {
        await track(
          root.transaction(() => {
            for (const victim of evicted) {
              records.remove(victim);
              lruRows.remove(victim);
            }
            if (record) {
              records.put(hash, Buffer.from(record.buffer, record.byteOffset, record.length));
              lruRows.put(hash, [bytes.length, tick]);
            } else {
              records.remove(hash);
              lruRows.remove(hash);
            }
          }),
        );
      } finally {
        writes.settle(hash, record);
      }
    },

    async has(hash) {
      return book.has(hash);
    },

    async delete(hash) {
      book.ensureOpenFor(hash);
      lru.remove(hash);
      pending.delete(hash);
      await forget(hash);
    },

    async keys() {
      return book.keys();
    },

    async stats(): Promise<ResultStoreStats> {
      return book.stats();
    },

    async close() {
      if (!book.markClosed()) return;
      await writes.drain();
      await root.close();
    },
  };
  handlesOf.set(store, { root, records, lruRows });
  return store;
}

/** For tests only (not exported from the package): the LMDB databases behind a disk store, to corrupt a record. */
export function diskStoreDatabasesForTesting(store: ResultStore): DiskHandles {
  const handles = handlesOf.get(store);
  if (handles === undefined) throw new TypeError('not a disk store made by createDiskStore');
  return handles;
}
