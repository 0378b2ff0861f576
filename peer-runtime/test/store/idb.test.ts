import 'fake-indexeddb/auto';
import { get as idbGet, set as idbSet, promisifyRequest } from 'idb-keyval';
import { afterEach, describe, expect, it } from 'vitest';
import { createIndexedDbStore, indexedDbStoresForTesting } from '../../src/store/idb.browser.js';
import type { ResultStore } from '../../src/store/types.js';
import { patterned, resultStoreContract } from './contract.js';

// fake-indexeddb gives Node the IndexedDB API; the same store is tested in real Chromium by the browser issue.
let counter = 0;
const freshName = (): string => `handout-test-${++counter}`;

resultStoreContract('IndexedDB', {
  open: (options) => createIndexedDbStore({ name: freshName(), ...options }),
  readRecord: async (store, hash) => idbGet<Uint8Array>(hash, indexedDbStoresForTesting(store).records),
  writeRecord: (store, hash, record) => idbSet(hash, record, indexedDbStoresForTesting(store).records),
  propertyRuns: 30,
});

describe('IndexedDB store persistence', () => {
  const opened: ResultStore[] = [];
  const open = async (name: string, maxBytes?: number): Promise<ResultStore> => {
    const store = await createIndexedDbStore({ name, ...(maxBytes === undefined ? {} : { maxBytes }) });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('keeps values and recency across close and reopen, as across a page reload', async () => {
    const name = freshName();
    const first = await open(name, 30);
    await first.put('a', patterned(10, 1));
    await first.put('b', patterned(10, 2));
    await first.put('c', patterned(10, 3));
    await first.get('a'); // recency now b < c < a; the touch is written without waiting
    await first.close();

    const second = await open(name, 30);
    expect(await second.keys()).toEqual(['b', 'c', 'a']);
    expect(await second.stats()).toMatchObject({ entries: 3, bytes: 30 });
    await second.put('d', patterned(10, 4));
    expect((await second.keys()).sort()).toEqual(['a', 'c', 'd']);
    expect(await second.get('a')).toEqual(patterned(10, 1));
  });

  it('puts made while a commit is in flight share the next transaction, and a delete keeps its place in line', async () => {
    const name = freshName();
    const store = await open(name);
    await store.put('warm', patterned(10, 9)); // the databases are open: what follows counts only writes
    let transactions = 0;
    const original = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args) {
      if (args[1] === 'readwrite') transactions++;
      return original.apply(this, args);
    } as typeof original;
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`h${i}`, patterned(10, i))));
      // One put per result would be 100 transactions (a record and its LRU row each); grouped, a handful.
      expect(transactions).toBeLessThan(10);
      // A delete issued while the put of the same hash still waits for its group must not be overtaken by it.
      const busy = store.put('busy', patterned(10, 2)); // its commit is in flight while the next two are made
      const put = store.put('late', patterned(10, 1));
      const gone = store.delete('late');
      await Promise.all([busy, put, gone]);
    } finally {
      IDBDatabase.prototype.transaction = original;
    }
    await store.close();
    const reopened = await open(name);
    expect(await reopened.has('late')).toBe(false);
    expect(await reopened.get('h49')).toEqual(patterned(10, 49));
    expect((await reopened.keys()).length).toBe(52);
  });

  it('evicts at once when reopened with a smaller bound', async () => {
    const name = freshName();
    const first = await open(name);
    for (const [i, hash] of ['a', 'b', 'c'].entries()) await first.put(hash, patterned(10, i));
    await first.close();
    const second = await open(name, 15);
    expect(await second.keys()).toEqual(['c']);
    await second.close();
    const third = await open(name);
    expect(await third.keys()).toEqual(['c']);
  });

  it('drops a record without its LRU row and a row without its record on open (a tab closed mid-write)', async () => {
    const name = freshName();
    const store = await open(name);
    await store.put('kept', patterned(10, 1));
    await store.put('row-only', patterned(10, 2));
    const { records } = indexedDbStoresForTesting(store);
    await records('readwrite', (o) => promisifyRequest(o.delete('row-only')));
    await idbSet('record-only', patterned(20, 3), records);
    await store.close();

    const reopened = await open(name);
    expect(await reopened.keys()).toEqual(['kept']);
    expect(await reopened.stats()).toMatchObject({ entries: 1, bytes: 10 });
    const handles = indexedDbStoresForTesting(reopened);
    expect(await idbGet('record-only', handles.records)).toBeUndefined();
    expect(await idbGet('row-only', handles.lruRows)).toBeUndefined();
  });

  it('treats a record replaced by something that is not bytes as corrupt', async () => {
    const store = await open(freshName());
    await store.put('h', patterned(10, 1));
    await idbSet('h', { not: 'bytes' }, indexedDbStoresForTesting(store).records);
    expect(await store.get('h')).toBeUndefined();
    expect(await store.stats()).toMatchObject({ corrupt: 1, entries: 0 });
  });

  it('serves a get that races an un-awaited put from the pending write', async () => {
    const store = await open(freshName());
    const put = store.put('h', patterned(1000, 5));
    expect(await store.get('h')).toEqual(patterned(1000, 5));
    await put;
  });

  it('rejects a missing name with StoreInputError naming the field', async () => {
    await expect(createIndexedDbStore({ name: '' })).rejects.toMatchObject({
      name: 'StoreInputError',
      field: 'name',
    });
  });
});
