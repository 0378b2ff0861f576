/**
 * The persistent result store for Node peers, on LMDB (lmdb-js 3): a memory-mapped B-tree with ACID
 * transactions, so a crash never leaves half a record and reads are served straight from the page cache.
 *
 * Layout inside `dir` (one LMDB environment, two named databases):
 * - `records`: hash → record (8-byte header with an xxh32 checksum, then the value; see integrity.ts)
 * - `lru`:     hash → [size, tick], the LRU bookkeeping, so eviction and reopening never read a value
 *
 * Recency is persisted, not guessed: every put and get gives the entry the next tick of a logical clock (lru.ts)
 * and writes it to `lru`. On open the index is rebuilt from `lru` in tick order, so the least recently used entry
 * before a restart is still the first evicted after it; reopening with a smaller `maxBytes` evicts at once. Rows
 * without a record (or records without a row, e.g. from a foreign writer) are cleaned up on open.
 *
 * How writes are grouped, and why: a peer stores thousands of tiny results a second, and lmdb-js charges every
 * `transaction(...)` a queued callback, a promise and commit bookkeeping on the main thread (executeTxnCallbacks,
 * writeInstructions): half the main thread's CPU for a tiny put when each put was its own transaction. So the
 * writes of one event-loop turn (puts, their evictions, deletes, the LRU rows of gets) are queued in call order
 * and handed to LMDB at the end of the turn (setImmediate) as ONE `batch`, which lmdb-js applies on its write
 * thread in one transaction, with no JS callback. What stays true:
 * - A record and its `lru` row are written (or removed) in the same transaction, so they never part.
 * - The batch applies the writes in the order the calls made them, so evictions, replacements and the recency of
 *   gets persist exactly as the in-memory index saw them.
 * - Every put of a turn returns that batch's promise: it resolves only once the batch has committed, and rejects
 *   if the commit fails (all puts of the batch then reject). A hash LMDB cannot hold is refused up front with
 *   StoreInputError, so one bad key cannot fail the puts it shares a batch with.
 * - Until its batch commits, a put's record is served from memory (PendingWrites), so a get right after an
 *   un-awaited put finds it.
 * - close() waits for every batch in flight before closing LMDB.
 * The cost: a put commits one loop turn later than a lone transaction would (LMDB commits on the next turn).
 *
 * One process at a time per `dir`: the in-memory index is the authority on what the store holds, so two processes
 * writing one directory at once would each evict by a stale picture. Sequential use (a peer restarts, another
 * process reads the cache later) is what this store is for.
 *
 * @module @handout/peer-runtime/store/disk
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
   * With false the environment is also opened with LMDB's write map: commits write straight into the memory map
   * instead of copying every dirty page out with a system call (which cut the kernel time of tiny puts by half or
   * more here). Crash safety is unchanged (LMDB still never overwrites the last committed pages); the cost is that
   * a stray native write in this process could damage the map. Values stay checksummed (integrity.ts).
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

/** One write of a turn's batch; a batch applies its writes in the order the store's calls made them. */
type WriteOp =
  | {
      readonly kind: 'put';
      readonly hash: string;
      readonly record: Uint8Array;
      readonly size: number;
      readonly tick: number;
    }
  | { readonly kind: 'touch'; readonly hash: string; readonly size: number; readonly tick: number }
  | { readonly kind: 'remove'; readonly hash: string };

/**
 * Collects the writes of one event-loop turn and hands them to LMDB as one `batch` (one transaction), so a burst
 * of puts pays LMDB's per-call costs (a queued callback, a promise, the commit bookkeeping) once, not per put.
 * `batch` rather than `transaction`: its writes run on LMDB's write thread with no callback into JS.
 */
class TurnBatcher {
  #ops: WriteOp[] = [];
  /** The promise of the queued batch, shared by its writes; undefined while nothing is queued. */
  #commit: Promise<void> | undefined;

  constructor(
    private readonly root: RootDatabase,
    private readonly records: Database<Buffer, string>,
    private readonly lruRows: Database<LruRow, string>,
    private readonly writes: PendingWrites,
  ) {}

  /** Queues `op`; the promise (shared by every op of the batch) settles when the batch has committed or failed. */
  enqueue(op: WriteOp): Promise<void> {
    this.#ops.push(op);
    if (this.#commit === undefined) {
      this.#commit = this.writes.track(
        new Promise<void>((resolve, reject) => {
          // setImmediate, not a microtask: the writes arriving in this turn's other callbacks (results from
          // several workers and peers) join the same batch. LMDB starts the commit on the next turn either way.
          setImmediate(() => {
            this.#flush().then(resolve, reject);
          });
        }),
      );
    }
    return this.#commit;
  }

  #flush(): Promise<void> {
    const ops = this.#ops;
    this.#ops = [];
    this.#commit = undefined;
    let committed: Promise<unknown>;
    try {
      committed = this.root.batch(() => this.#apply(ops));
    } catch (error) {
      committed = Promise.reject(error);
    }
    const settle = (): void => {
      for (const op of ops) if (op.kind === 'put') this.writes.settle(op.hash, op.record);
    };
    return committed.then(settle, (error: unknown) => {
      settle();
      throw error;
    });
  }

  #apply(ops: readonly WriteOp[]): void {
    const { records, lruRows } = this;
    for (const op of ops) {
      if (op.kind === 'put') {
        records.put(op.hash, Buffer.from(op.record.buffer, op.record.byteOffset, op.record.length));
        lruRows.put(op.hash, [op.size, op.tick]);
      } else if (op.kind === 'touch') {
        lruRows.put(op.hash, [op.size, op.tick]);
      } else {
        records.remove(op.hash);
        lruRows.remove(op.hash);
      }
    }
  }
}

/** LMDB's key size limit in bytes (lmdb-js sets it on the root database but does not declare it). */
function maxKeySizeOf(root: RootDatabase): number {
  const size = (root as RootDatabase & { maxKeySize?: unknown }).maxKeySize;
  return typeof size === 'number' && size > 0 ? size : 511;
}

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
    useWritemap: options.durable === false,
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
  const batcher = new TurnBatcher(root, records, lruRows, writes);
  const maxKeyBytes = maxKeySizeOf(root);
  const checkKey = (hash: string): void => {
    // LMDB cannot hold longer keys; checked here because one bad key inside a batch would fail the whole batch.
    if (Buffer.byteLength(hash) >= maxKeyBytes) {
      throw new StoreInputError(
        'hash',
        `hash '${hash.slice(0, 40)}…' is longer than ${maxKeyBytes - 1} bytes`,
      );
    }
  };

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
        // Not awaited, and a failed commit is not reported (PendingWrites tracks it so close waits for it):
        // the index no longer lists the record, so it is never read again, and open drops a record without
        // its row. Should go to the logger once there is one.
        void batcher.enqueue({ kind: 'remove', hash });
        book.misses++;
        return undefined;
      }
      // Not awaited, failure not reported (tracked as above): a lost touch only leaves the persisted LRU order
      // a little older than the in-memory one. Should go to the logger once there is one.
      void batcher.enqueue({ kind: 'touch', hash, size: value.length, tick: lru.touch(hash)! });
      book.hits++;
      return value;
    },

    // Not `async`: every put of a turn returns the one promise of that turn's commit, with no promise of its own.
    put(hash, bytes) {
      try {
        book.ensureOpenFor(hash);
        assertBytes(hash, bytes);
        checkKey(hash);
      } catch (error) {
        return Promise.reject(error);
      }
      const { record, tick, evicted } = book.admit(pending, hash, bytes);
      for (const victim of evicted) batcher.enqueue({ kind: 'remove', hash: victim });
      return batcher.enqueue(
        record ? { kind: 'put', hash, record, size: bytes.length, tick } : { kind: 'remove', hash },
      );
    },

    async has(hash) {
      return book.has(hash);
    },

    async delete(hash) {
      book.ensureOpenFor(hash);
      checkKey(hash);
      lru.remove(hash);
      pending.delete(hash);
      await batcher.enqueue({ kind: 'remove', hash });
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
