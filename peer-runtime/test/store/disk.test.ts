import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { open as openLmdb } from 'lmdb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDiskStore, diskStoreDatabasesForTesting } from '../../src/store/disk.node.js';
import { xxh32 } from '../../src/store/integrity.js';
import type { ResultStore } from '../../src/store/types.js';
import { expectSameBytes, patterned, resultStoreContract } from './contract.js';

let root: string;
let counter = 0;
const freshDir = (): string => join(root, `store-${++counter}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'handout-disk-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rawRecords = {
  readRecord: async (store: ResultStore, hash: string) => {
    const raw = diskStoreDatabasesForTesting(store).records.getBinary(hash);
    return raw === undefined ? undefined : Uint8Array.from(raw);
  },
  writeRecord: async (store: ResultStore, hash: string, record: Uint8Array) => {
    diskStoreDatabasesForTesting(store).records.putSync(hash, Buffer.from(record));
  },
};

resultStoreContract('disk (LMDB)', {
  open: (options) => createDiskStore({ dir: freshDir(), ...options }),
  ...rawRecords,
  propertyRuns: 30,
});

// durable: false opens LMDB differently (no fsync, write map), so it runs the whole contract too.
resultStoreContract('disk (LMDB, durable: false)', {
  open: (options) => createDiskStore({ dir: freshDir(), durable: false, ...options }),
  ...rawRecords,
  propertyRuns: 30,
});

describe('disk store persistence', () => {
  const opened: ResultStore[] = [];
  const open = async (dir: string, maxBytes?: number): Promise<ResultStore> => {
    const store = await createDiskStore({ dir, ...(maxBytes === undefined ? {} : { maxBytes }) });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('keeps values, stats and recency across close and reopen', async () => {
    const dir = freshDir();
    const first = await open(dir, 30);
    await first.put('a', patterned(10, 1));
    await first.put('b', patterned(10, 2));
    await first.put('c', patterned(10, 3));
    await first.get('a'); // recency now b < c < a
    await first.close();

    const second = await open(dir, 30);
    expect(await second.stats()).toMatchObject({ entries: 3, bytes: 30 });
    expect(await second.keys()).toEqual(['b', 'c', 'a']);
    await second.put('d', patterned(10, 4)); // evicts b, the least recently used before the restart
    expect((await second.keys()).sort()).toEqual(['a', 'c', 'd']);
    expect(await second.get('c')).toEqual(patterned(10, 3));
  });

  it('evicts the least recently used entries at once when reopened with a smaller bound', async () => {
    const dir = freshDir();
    const first = await open(dir);
    for (const [i, hash] of ['a', 'b', 'c', 'd'].entries()) await first.put(hash, patterned(10, i));
    await first.get('a');
    await first.close();

    const second = await open(dir, 20);
    expect(await second.keys()).toEqual(['d', 'a']);
    expect(await second.stats()).toMatchObject({ entries: 2, bytes: 20, evictions: 2 });
    await second.close();
    const third = await open(dir);
    expect(await third.keys()).toEqual(['d', 'a']);
  });

  it('drops records without an LRU row and rows without a record on open', async () => {
    const dir = freshDir();
    const store = await open(dir);
    await store.put('kept', patterned(10, 1));
    await store.put('row-only', patterned(10, 2));
    const { records, lruRows } = diskStoreDatabasesForTesting(store);
    records.removeSync('row-only');
    records.putSync('record-only', Buffer.from(patterned(20, 3)));
    expect(lruRows.get('record-only')).toBeUndefined();
    await store.close();

    const reopened = await open(dir);
    expect(await reopened.keys()).toEqual(['kept']);
    expect(await reopened.stats()).toMatchObject({ entries: 1, bytes: 10 });
    expect(diskStoreDatabasesForTesting(reopened).records.getBinary('record-only')).toBeUndefined();
  });

  it('serves a get that races an un-awaited put from the pending write', async () => {
    const store = await open(freshDir());
    const put = store.put('h', patterned(1000, 5));
    expect(await store.get('h')).toEqual(patterned(1000, 5));
    await put;
  });

  it('reads in one process what another process wrote, and the other way round', async () => {
    const dir = freshDir();
    const child = fileURLToPath(new URL('./fixtures/disk-child.ts', import.meta.url));
    const run = promisify(execFile);
    const node = (args: string[]) =>
      run(process.execPath, ['--conditions=source', '--import', 'tsx', child, dir, ...args], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
      });

    // A child process writes and exits; this process reads.
    await node(['write', 'from-child', '2000000', '11']);
    const store = await open(dir);
    expectSameBytes(await store.get('from-child'), patterned(2_000_000, 11));
    await store.put('from-parent', patterned(300_000, 12));
    await store.close();

    // This process wrote and closed; a fresh child reads and reports the checksum of what it found.
    const { stdout } = await node(['read', 'from-parent']);
    expect(JSON.parse(stdout)).toEqual({ length: 300_000, xxh32: xxh32(patterned(300_000, 12)) });
  });

  it('opens a directory written by raw LMDB without a records database as an empty store', async () => {
    const dir = freshDir();
    const raw = openLmdb({ path: dir });
    await raw.put('unrelated', 1);
    await raw.close();
    const store = await open(dir);
    expect(await store.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('rejects a missing dir with StoreInputError naming the field', async () => {
    await expect(createDiskStore({ dir: '' })).rejects.toMatchObject({
      name: 'StoreInputError',
      field: 'dir',
    });
  });
});

describe('disk store without fsync (durable: false)', () => {
  it('honours the same contract for a put, a reopen and a read', async () => {
    const dir = freshDir();
    const first = await createDiskStore({ dir, durable: false, maxBytes: 100 });
    await first.put('h', patterned(50, 1));
    await first.close();
    const second = await createDiskStore({ dir, durable: false, maxBytes: 100 });
    expect(await second.get('h')).toEqual(patterned(50, 1));
    await second.close();
  });
});
