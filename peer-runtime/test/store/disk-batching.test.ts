/**
 * The disk store groups the writes of one event-loop turn into one LMDB batch (disk.node.ts). These tests check
 * what callers must not notice: every put of a burst is committed when its promise resolves, the record and its
 * LRU row land together, recency and evictions persist in call order, and a failed commit rejects the puts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDiskStore, diskStoreDatabasesForTesting } from '../../src/store/disk.node.js';
import { RECORD_HEADER_BYTES } from '../../src/store/integrity.js';
import type { ResultStore } from '../../src/store/types.js';
import { patterned } from './contract.js';

let root: string;
let counter = 0;
const freshDir = (): string => join(root, `store-${++counter}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'handout-disk-batching-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A 64-hex-char key like the content hashes the mesh stores results under. */
const hexHash = (i: number): string => createHash('sha256').update(`result-${i}`).digest('hex');
/** A tiny value (8–16 bytes) distinct for each `i`. */
const tiny = (i: number): Uint8Array => patterned(8 + (i % 9), i + 1);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each([
  ['durable', true],
  ['durable: false', false],
] as const)('disk store write batching (%s)', (_label, durable) => {
  const opened: ResultStore[] = [];
  const open = async (dir: string, maxBytes?: number): Promise<ResultStore> => {
    const store = await createDiskStore({ dir, durable, ...(maxBytes === undefined ? {} : { maxBytes }) });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('has committed every put of a burst, record and LRU row, by the time its promise resolves', async () => {
    const store = await open(freshDir());
    const { records, lruRows } = diskStoreDatabasesForTesting(store);
    // Three turns of 100 puts each, issued without waiting in between, so batches overlap.
    const puts: Promise<void>[] = [];
    for (let turn = 0; turn < 3; turn++) {
      for (let i = turn * 100; i < (turn + 1) * 100; i++) puts.push(store.put(hexHash(i), tiny(i)));
      await nextTurn();
    }
    const committed = await Promise.all(
      puts.map((put, i) =>
        put.then(() => ({
          record: records.getBinary(hexHash(i))?.length,
          row: lruRows.get(hexHash(i)),
        })),
      ),
    );
    committed.forEach(({ record, row }, i) => {
      expect(record, `record ${i}`).toBe(RECORD_HEADER_BYTES + tiny(i).length);
      expect(row?.[0], `row ${i}`).toBe(tiny(i).length);
    });
    for (let i = 0; i < 300; i++) expect(await store.get(hexHash(i))).toEqual(tiny(i));
    expect(await store.stats()).toMatchObject({ entries: 300 });
  });

  it('serves gets of a burst from the pending writes before the batch commits', async () => {
    const store = await open(freshDir());
    const puts = Array.from({ length: 50 }, (_, i) => store.put(hexHash(i), tiny(i)));
    const gets = await Promise.all(Array.from({ length: 50 }, (_, i) => store.get(hexHash(i))));
    gets.forEach((got, i) => {
      expect(got, `get ${i}`).toEqual(tiny(i));
    });
    await Promise.all(puts);
  });

  it('restores a burst on reopen: its values, and recency in the order of the calls, puts and gets alike', async () => {
    const dir = freshDir();
    const first = await open(dir);
    await Promise.all(Array.from({ length: 40 }, (_, i) => first.put(hexHash(i), tiny(i))));
    // One turn mixing puts and gets: a put that replaces hash 0, then gets that make 5 and then 0 the most recent.
    const burst = [
      first.put(hexHash(0), tiny(100)),
      first.get(hexHash(5)),
      first.get(hexHash(0)),
      ...Array.from({ length: 20 }, (_, i) => first.put(hexHash(40 + i), tiny(40 + i))),
      first.get(hexHash(7)),
    ];
    await Promise.all(burst);
    const expectedOrder = await first.keys();
    expect(expectedOrder.slice(-2)).toEqual([hexHash(59), hexHash(7)]);
    await first.close();

    const second = await open(dir);
    expect(await second.keys()).toEqual(expectedOrder);
    expect(await second.get(hexHash(0))).toEqual(tiny(100));
    for (let i = 1; i < 60; i++) expect(await second.get(hexHash(i)), `value ${i}`).toEqual(tiny(i));
  });

  it('persists the evictions of a burst in order, so a reopened store holds exactly what the first held', async () => {
    const dir = freshDir();
    const first = await open(dir, 200);
    const puts = Array.from({ length: 100 }, (_, i) => first.put(hexHash(i), tiny(i)));
    await Promise.all(puts);
    const held = await first.keys();
    expect((await first.stats()).evictions).toBeGreaterThan(0);
    await first.close();

    const second = await open(dir, 200);
    expect(await second.keys()).toEqual(held);
    expect(await second.stats()).toMatchObject({ evictions: 0 }); // nothing left over to evict on open
    const { records } = diskStoreDatabasesForTesting(second);
    expect([...records.getKeys()].sort()).toEqual([...held].sort());
  });

  it('rejects a hash too long for LMDB with StoreInputError without failing the other puts of its turn', async () => {
    const store = await open(freshDir());
    const good = store.put(hexHash(1), tiny(1));
    const bad = store.put('h'.repeat(5000), tiny(2));
    await expect(bad).rejects.toMatchObject({ name: 'StoreInputError', field: 'hash' });
    await good;
    expect(await store.keys()).toEqual([hexHash(1)]);
    expect(diskStoreDatabasesForTesting(store).records.getBinary(hexHash(1))).toBeDefined();
  });

  it('rejects every put of a batch whose commit fails', async () => {
    const store = await open(freshDir());
    await store.put(hexHash(0), tiny(0));
    // Closing LMDB underneath the store makes the next batch fail, as a broken environment would.
    await diskStoreDatabasesForTesting(store).root.close();
    const puts = Array.from({ length: 5 }, (_, i) => store.put(hexHash(i + 1), tiny(i + 1)));
    for (const put of puts) await expect(put).rejects.toThrow();
  });
});
