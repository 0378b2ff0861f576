/**
 * The browser's state files (platform/json-files.node.ts is the Node half): what a peer keeps beside its result
 * cache, in IndexedDB beside the cache's own databases, so that a reloaded tab finds them again: the cache's
 * receipts (agent/receipt-book.ts), whose loss after a reload made the tab's announced cache count for nothing
 * once the coordinator had restarted, and a coordinator tab's trust ledger (coordinator/ledger-store.ts).
 *
 * One database per file, `<cache name>:<file name>` (idb-keyval opens one object store per database, as the
 * result store's `<name>:lru` does):
 * - JSON lines (`openIdbJsonLines`): one row per value under an increasing integer key, so an append is one put
 *   and never rereads the rest; a rewrite (compaction) clears and refills the store in one transaction, so a tab
 *   closed mid-rewrite leaves either the old rows or the new ones.
 * - a JSON value (`openIdbJsonFile`): one row, `value`, replaced whole.
 *
 * Values are stored as structured clones of what the owner gave (plain JSON data: receipts with hex strings,
 * ledger records). Writes are queued one after another and never awaited by the caller, as on Node; a failed
 * write goes to `onError` and does not stop the next. One tab per cache name at a time, as for the result store
 * (demo/src/contribute/cache-name.ts holds a Web Lock on the name).
 */
import { createStore, entries, get, keys, promisifyRequest, set, type UseStore } from 'idb-keyval';
import type { JsonFile, JsonLinesFile } from './types.js';

/** Writes in order; a failed one is reported and the next still runs. */
class IdbWriteQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (error: unknown) => void) {}

  push(write: () => Promise<void>): void {
    this.tail = this.tail.then(write).catch(this.onError);
  }

  drain(): Promise<void> {
    return this.tail;
  }
}

function closeDatabase(store: UseStore): Promise<void> {
  return store('readonly', (objects) => objects.transaction.db.close());
}

/** `<location>:<name>`, one value per row, appended to and now and then rewritten whole. */
export function openIdbJsonLines(
  location: string,
  name: string,
  onError: (error: unknown) => void,
): JsonLinesFile {
  const dbName = `${location}:${name}`;
  const rows = createStore(dbName, 'lines');
  const writes = new IdbWriteQueue(onError);
  /** The batch of appends not yet taken by its write (each write owns its batch: see `rewrite`). */
  let open: unknown[] | undefined;
  /** The key of the next row: one past the highest found (read once, before the first append). */
  let next: number | undefined;
  const nextKey = async (): Promise<number> => {
    if (next === undefined) {
      let max = -1;
      for (const key of await keys<number>(rows)) if (typeof key === 'number' && key > max) max = key;
      next = max + 1;
    }
    return next++;
  };
  return {
    path: `indexeddb:${dbName}`,
    async load() {
      await writes.drain();
      const found = await entries<number, unknown>(rows);
      // Cursors walk keys in order already; sorted anyway, since a later row replaces an earlier one for its owner.
      found.sort((a, b) => Number(a[0]) - Number(b[0]));
      return found.map(([, value]) => value);
    },
    append(value) {
      // Appends of one turn, and those made while a write is on its way, go as one transaction.
      if (open) {
        open.push(value);
        return;
      }
      const batch = [value];
      open = batch;
      writes.push(async () => {
        if (open === batch) open = undefined;
        if (batch.length === 0) return; // emptied by a rewrite queued after it
        const first = await nextKey();
        next = first + batch.length;
        await rows('readwrite', (objects) => {
          for (const [k, v] of batch.entries()) objects.put(v, first + k);
          return promisifyRequest(objects.transaction);
        });
      });
    },
    rewrite(values) {
      // The owner's values replace everything saved, appends not yet written included (they are among them):
      // the open batch is emptied, and appends after this call start a batch written after the rewrite.
      if (open) open.length = 0;
      open = undefined;
      const copy = [...values];
      writes.push(async () => {
        await rows('readwrite', (objects) => {
          objects.clear();
          for (const [k, v] of copy.entries()) objects.put(v, k);
          return promisifyRequest(objects.transaction);
        });
        next = copy.length;
      });
    },
    async close() {
      await writes.drain();
      await closeDatabase(rows).catch(onError);
    },
  };
}

/** `<location>:<name>`, a JSON value replaced whole on every save. */
export function openIdbJsonFile(location: string, name: string, onError: (error: unknown) => void): JsonFile {
  const dbName = `${location}:${name}`;
  const row = createStore(dbName, 'value');
  const writes = new IdbWriteQueue(onError);
  return {
    path: `indexeddb:${dbName}`,
    async load() {
      await writes.drain();
      try {
        return await get<unknown>('value', row);
      } catch (error) {
        onError(error);
        return undefined;
      }
    },
    save(value) {
      writes.push(() => set('value', value, row));
    },
    async close() {
      await writes.drain();
      await closeDatabase(row).catch(onError);
    },
  };
}
