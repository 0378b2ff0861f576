/**
 * The persistent result store for browser peers, in IndexedDB through idb-keyval. It survives a reload, so a
 * contributor's tab keeps serving the results it computed before.
 *
 * Two databases, each with idb-keyval's one object store (idb-keyval opens a database with a single store, so a
 * second store needs a second database):
 * - `<name>`     / `records`: hash → record (8-byte header with an xxh32 checksum, then the value; integrity.ts)
 * - `<name>:lru` / `lru`:     hash → [size, tick], the LRU bookkeeping, so eviction and reopening never read a blob
 *
 * Recency is persisted like the disk store's: each put and get takes the next tick (lru.ts) and writes it to
 * `lru` (gets without waiting). On open the index is rebuilt in tick order. The two databases cannot share a
 * transaction, so a tab closed between the two writes can leave a record without a row or a row without a record;
 * open reconciles both (reading keys only, never blobs) and drops the stray half.
 *
 * One tab at a time per `name`: the in-memory index is the authority, as in disk.node.ts. Give each tab its own
 * name (or hold a Web Lock on it) if several tabs of one origin contribute at once.
 *
 * @module @handout/peer-runtime/store/idb
 */
import { createStore, entries, keys as idbKeys, promisifyRequest, type UseStore } from 'idb-keyval';
import { PendingWrites, StoreBookkeeping } from './bookkeeping.js';
import { assertBytes, StoreInputError } from './errors.js';
import { createGroupCommit } from './idb-group-commit.js';
import { decodeRecord } from './integrity.js';
import type { LruEntryInfo } from './lru.js';
import type { ResultStore, ResultStoreStats } from './types.js';

export interface IndexedDbStoreOptions {
  /** Database name; the LRU rows live in `<name>:lru`. */
  readonly name: string;
  /** Upper bound on the bytes of values held; least-recently-used entries are evicted past it. Default: Infinity. */
  readonly maxBytes?: number;
}

type LruRow = [size: number, tick: number];

interface IdbHandles {
  readonly records: UseStore;
  readonly lruRows: UseStore;
}

const handlesOf = new WeakMap<ResultStore, IdbHandles>();

/** Runs `write` on `store` in one readwrite transaction and resolves when it commits. */
function inTransaction(store: UseStore, write: (objects: IDBObjectStore) => void): Promise<void> {
  return store('readwrite', (objects) => {
    write(objects);
    return promisifyRequest(objects.transaction);
  });
}

function deleteKeys(store: UseStore, hashes: readonly string[]): Promise<void> {
  return inTransaction(store, (objects) => {
    for (const hash of hashes) objects.delete(hash);
  });
}

function closeDatabase(store: UseStore): Promise<void> {
  return store('readonly', (objects) => objects.transaction.db.close());
}

export async function createIndexedDbStore(options: IndexedDbStoreOptions): Promise<ResultStore> {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new StoreInputError('name', `name must be a non-empty database name, got ${String(options?.name)}`);
  }
  const book = new StoreBookkeeping(
    `indexeddb:${options.name}`,
    options.maxBytes ?? Number.POSITIVE_INFINITY,
  );
  const { lru } = book;
  const records = createStore(options.name, 'records');
  const lruRows = createStore(`${options.name}:lru`, 'lru');

  const rows: LruEntryInfo[] = [];
  for (const [hash, row] of await entries<string, LruRow>(lruRows)) {
    if (Array.isArray(row)) rows.push({ hash, size: Number(row[0]), tick: Number(row[1]) });
  }
  const { dangling, evicted, orphans } = book.restore(rows, new Set(await idbKeys<string>(records)));
  const strayRecords = [...orphans, ...evicted];
  if (strayRecords.length > 0) await deleteKeys(records, strayRecords);
  const staleRows = [...dangling, ...evicted];
  if (staleRows.length > 0) await deleteKeys(lruRows, staleRows);

  // Every write after open shares commits under load (idb-group-commit.ts).
  const recordWrites = createGroupCommit(records);
  const rowWrites = createGroupCommit(lruRows);
  const writes = new PendingWrites();
  const pending = writes.records;
  const track = <T>(write: Promise<T>): Promise<T> => writes.track(write);

  // Rows go first on removal: a tab closed in between leaves a record without a row, which open deletes.
  // Through the same group commits as puts: one queue per database keeps every write in the order it was made
  // (a delete given its own transaction could commit before an earlier put still waiting for its group).
  const deleteAll = (hashes: readonly string[]) => (o: IDBObjectStore) => {
    for (const hash of hashes) o.delete(hash);
  };
  const remove = (hashes: readonly string[]): Promise<unknown> =>
    track(rowWrites.write(deleteAll(hashes)).then(() => recordWrites.write(deleteAll(hashes))));

  const store: ResultStore = {
    async get(hash) {
      book.ensureOpenFor(hash);
      if (!lru.has(hash)) {
        book.misses++;
        return undefined;
      }
      const tickBefore = lru.tickOf(hash);
      const raw =
        pending.get(hash) ?? (await track(records('readonly', (o) => promisifyRequest(o.get(hash)))));
      const value = raw === undefined ? undefined : decodeRecord(raw as Uint8Array);
      if (value === undefined) {
        if (raw !== undefined) book.corrupt++;
        // A put may have replaced the entry while we read; only drop the entry we judged.
        if (!pending.has(hash) && lru.tickOf(hash) === tickBefore) {
          lru.remove(hash);
          // Not awaited, failure not reported (`track` keeps it for close): the index no longer lists the
          // entry, and open drops whatever half of it is left. Should go to the logger once there is one.
          void remove([hash]);
        }
        book.misses++;
        return undefined;
      }
      const tick = lru.touch(hash);
      // Not awaited, failure not reported (tracked for close): a lost touch only leaves the persisted LRU order
      // a little older. Should go to the logger once there is one.
      if (tick !== undefined) void track(rowWrites.write((o) => o.put([value.length, tick], hash)));
      book.hits++;
      return value;
    },

    async put(hash, bytes) {
      book.ensureOpenFor(hash);
      assertBytes(hash, bytes);
      const { record, tick, evicted } = book.admit(pending, hash, bytes);
      const gone = record ? evicted : [...evicted, hash];
      try {
        if (gone.length > 0) await remove(gone);
        if (record) {
          // Record first, then its row: a tab closed in between leaves a record without a row, which open deletes.
          await track(recordWrites.write((o) => o.put(record, hash)));
          await track(rowWrites.write((o) => o.put([bytes.length, tick], hash)));
        }
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
      await remove([hash]);
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
      // Close the connections so the page (or a test) can delete or upgrade the databases afterwards.
      await Promise.all([closeDatabase(records), closeDatabase(lruRows)]);
    },
  };
  handlesOf.set(store, { records, lruRows });
  return store;
}

/** For tests only (not exported from the package): the idb-keyval stores behind an IndexedDB store. */
export function indexedDbStoresForTesting(store: ResultStore): IdbHandles {
  const handles = handlesOf.get(store);
  if (handles === undefined) throw new TypeError('not an IndexedDB store made by createIndexedDbStore');
  return handles;
}
