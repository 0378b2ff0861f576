/**
 * The ResultStore contract: one suite every store implementation runs (memory.test.ts, disk.test.ts,
 * idb.test.ts). A harness opens fresh stores and reaches the raw records behind them, so corruption is done to
 * the underlying storage, the way a bad disk or a foreign writer would do it.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreClosedError, StoreInputError } from '../../src/store/errors.js';
import { RECORD_HEADER_BYTES } from '../../src/store/integrity.js';
import type { ResultStore } from '../../src/store/types.js';

export interface StoreHarness {
  /** A fresh, empty store (each call its own backing location). */
  open(options: { maxBytes?: number }): Promise<ResultStore>;
  /** The raw record (header + value) held under `hash` in the backing storage, bypassing the store. */
  readRecord(store: ResultStore, hash: string): Promise<Uint8Array | undefined>;
  /** Overwrites the raw record under `hash` in the backing storage, bypassing the store. */
  writeRecord(store: ResultStore, hash: string, record: Uint8Array): Promise<void>;
  /** Runs of the fast-check property (each opens a store). Default 100. */
  readonly propertyRuns?: number;
}

const MiB = 1024 * 1024;

/** Bytes that differ from position to position and from seed to seed, so a misplaced byte is caught. */
export function patterned(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Byte equality that stays fast for MiB-sized arrays (vitest's toEqual walks them element by element). */
export function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array, label?: string): void {
  expect(actual, label).toBeInstanceOf(Uint8Array);
  expect(actual!.length, label).toBe(expected.length);
  expect(Buffer.from(actual!.buffer, actual!.byteOffset, actual!.length).equals(expected), label).toBe(true);
}

export function resultStoreContract(name: string, harness: StoreHarness): void {
  describe(`${name} store honours the ResultStore contract`, () => {
    const opened: ResultStore[] = [];
    const open = async (options: { maxBytes?: number } = {}): Promise<ResultStore> => {
      const store = await harness.open(options);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('returns byte-exact copies of what was put, from empty to a few MiB', async () => {
      const store = await open();
      const values = {
        empty: new Uint8Array(0),
        one: new Uint8Array([7]),
        odd: patterned(1001, 2),
        big: patterned(3 * MiB, 3),
      };
      for (const [hash, bytes] of Object.entries(values)) await store.put(hash, bytes);
      for (const [hash, bytes] of Object.entries(values)) {
        expectSameBytes(await store.get(hash), bytes, hash);
      }
    });

    it('keeps its own copy: mutating the array put or the array got does not change the stored value', async () => {
      const store = await open();
      const bytes = patterned(64, 4);
      await store.put('h', bytes);
      bytes.fill(0);
      const first = await store.get('h');
      first!.fill(1);
      expect(await store.get('h')).toEqual(patterned(64, 4));
    });

    it('answers has, delete and keys for what it holds, and returns undefined for a miss', async () => {
      const store = await open();
      await store.put('a', patterned(10, 1));
      await store.put('b', patterned(10, 2));
      expect(await store.has('a')).toBe(true);
      expect(await store.has('zzz')).toBe(false);
      expect((await store.keys()).sort()).toEqual(['a', 'b']);
      await store.delete('a');
      await store.delete('never-there');
      expect(await store.has('a')).toBe(false);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.keys()).toEqual(['b']);
    });

    it('replaces the value when the same hash is put again, counting its bytes once', async () => {
      const store = await open();
      await store.put('h', patterned(100, 1));
      await store.put('h', patterned(40, 2));
      expect(await store.get('h')).toEqual(patterned(40, 2));
      expect(await store.stats()).toMatchObject({ entries: 1, bytes: 40 });
    });

    it('evicts the least recently used entries to stay under maxBytes, and a get refreshes recency', async () => {
      const store = await open({ maxBytes: 30 });
      await store.put('a', patterned(10, 1));
      await store.put('b', patterned(10, 2));
      await store.put('c', patterned(10, 3));
      expect(await store.get('a')).toEqual(patterned(10, 1)); // a is now the most recent; b the least
      await store.put('d', patterned(10, 4));
      expect((await store.keys()).sort()).toEqual(['a', 'c', 'd']);
      await store.put('e', patterned(15, 5)); // needs two evictions: c then a
      expect((await store.keys()).sort()).toEqual(['d', 'e']);
      expect(await store.get('b')).toBeUndefined();
      expect(await store.stats()).toMatchObject({ entries: 2, bytes: 25, maxBytes: 30, evictions: 3 });
    });

    it('does not refresh recency on has', async () => {
      const store = await open({ maxBytes: 20 });
      await store.put('a', patterned(10, 1));
      await store.put('b', patterned(10, 2));
      expect(await store.has('a')).toBe(true);
      await store.put('c', patterned(10, 3));
      expect((await store.keys()).sort()).toEqual(['b', 'c']);
    });

    it('does not keep a value larger than maxBytes, drops the older value under that hash, and counts it', async () => {
      const store = await open({ maxBytes: 30 });
      await store.put('small', patterned(10, 1));
      await store.put('big', patterned(20, 2));
      await store.put('big', patterned(31, 3));
      expect(await store.has('big')).toBe(false);
      expect(await store.get('small')).toEqual(patterned(10, 1));
      expect(await store.stats()).toMatchObject({ entries: 1, bytes: 10, oversized: 1, evictions: 0 });
    });

    it('reports accurate stats: entries, bytes, bound, hits and misses', async () => {
      const store = await open({ maxBytes: 1000 });
      expect(await store.stats()).toEqual({
        entries: 0,
        bytes: 0,
        maxBytes: 1000,
        hits: 0,
        misses: 0,
        evictions: 0,
        corrupt: 0,
        oversized: 0,
      });
      await store.put('a', patterned(100, 1));
      await store.put('b', patterned(250, 2));
      await store.get('a');
      await store.get('a');
      await store.get('nope');
      await store.delete('b');
      expect(await store.stats()).toEqual({
        entries: 1,
        bytes: 100,
        maxBytes: 1000,
        hits: 2,
        misses: 1,
        evictions: 0,
        corrupt: 0,
        oversized: 0,
      });
    });

    it('treats a record whose value bytes were altered in storage as missing, deletes it and counts it', async () => {
      const store = await open();
      await store.put('victim', patterned(5000, 1));
      await store.put('bystander', patterned(50, 2));
      const record = await harness.readRecord(store, 'victim');
      expect(record?.length).toBe(RECORD_HEADER_BYTES + 5000);
      const damaged = Uint8Array.from(record!);
      damaged[RECORD_HEADER_BYTES + 1234]! ^= 0x10; // one flipped bit in the middle of the value
      await harness.writeRecord(store, 'victim', damaged);

      expect(await store.get('victim')).toBeUndefined();
      expect(await store.has('victim')).toBe(false);
      expect(await store.keys()).toEqual(['bystander']);
      expect(await store.get('bystander')).toEqual(patterned(50, 2));
      expect(await store.stats()).toMatchObject({ entries: 1, bytes: 50, corrupt: 1 });
      await expect.poll(() => harness.readRecord(store, 'victim')).toBeUndefined();
    });

    it('treats a truncated record or one with a damaged checksum as missing', async () => {
      const store = await open();
      await store.put('truncated', patterned(100, 1));
      await store.put('checksum', new Uint8Array(0));
      await harness.writeRecord(store, 'truncated', new Uint8Array([1, 0, 0]));
      const record = Uint8Array.from((await harness.readRecord(store, 'checksum'))!);
      record[5]! ^= 0xff;
      await harness.writeRecord(store, 'checksum', record);
      expect(await store.get('truncated')).toBeUndefined();
      expect(await store.get('checksum')).toBeUndefined();
      expect(await store.stats()).toMatchObject({ entries: 0, bytes: 0, corrupt: 2 });
    });

    it('holds a large value (24 MiB) intact', async () => {
      const store = await open();
      const big = patterned(24 * MiB, 9);
      await store.put('large', big);
      expectSameBytes(await store.get('large'), big);
    });

    it('accepts concurrent puts of the same hash and ends with one entry holding one of the values', async () => {
      const store = await open({ maxBytes: 10_000 });
      await Promise.all(Array.from({ length: 12 }, () => store.put('same', patterned(500, 1))));
      expect(await store.stats()).toMatchObject({ entries: 1, bytes: 500 });
      expect(await store.get('same')).toEqual(patterned(500, 1));

      const puts = Array.from({ length: 8 }, (_, i) => store.put('racy', patterned(100 + i, i)));
      const early = store.get('racy'); // a get racing the puts sees a whole value, never a mix
      await Promise.all(puts);
      const seen = await early;
      if (seen) expect(seen).toEqual(patterned(seen.length, seen.length - 100));
      expect(await store.get('racy')).toEqual(patterned(107, 7));
      expect(await store.stats()).toMatchObject({ entries: 2, bytes: 607 });
    });

    it('rejects bad arguments with StoreInputError naming the argument, and any use after close', async () => {
      const store = await open();
      await expect(store.put('', new Uint8Array(1))).rejects.toMatchObject({
        name: 'StoreInputError',
        field: 'hash',
      });
      await expect(store.put('h', 'text' as unknown as Uint8Array)).rejects.toBeInstanceOf(StoreInputError);
      await expect(store.put('h', [1, 2] as unknown as Uint8Array)).rejects.toMatchObject({ field: 'bytes' });
      await expect(store.get(42 as unknown as string)).rejects.toMatchObject({ field: 'hash' });
      await expect(harness.open({ maxBytes: -1 })).rejects.toMatchObject({ field: 'maxBytes' });
      await store.close();
      await store.close();
      await expect(store.get('h')).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.put('h', new Uint8Array(1))).rejects.toBeInstanceOf(StoreClosedError);
    });

    it('after any sequence of puts and gets stays under maxBytes and keeps exactly the most recently used entries', async () => {
      const maxBytes = 40;
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('put' as const),
          key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
          size: fc.nat(48),
        }),
        fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const store = await harness.open({ maxBytes });
          try {
            // Reference model: keys in recency order (oldest first) with their values.
            let model: [string, Uint8Array][] = [];
            for (const [i, step] of ops.entries()) {
              if (step.kind === 'put') {
                const value = patterned(step.size, i + 1);
                await store.put(step.key, value);
                model = model.filter(([k]) => k !== step.key);
                if (value.length <= maxBytes) model.push([step.key, value]);
                while (model.reduce((sum, [, v]) => sum + v.length, 0) > maxBytes) model.shift();
              } else {
                const got = await store.get(step.key);
                const held = model.find(([k]) => k === step.key);
                expect(got).toEqual(held?.[1]);
                if (held) model = [...model.filter(([k]) => k !== step.key), held];
              }
              const stats = await store.stats();
              expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
              expect(stats.bytes).toBe(model.reduce((sum, [, v]) => sum + v.length, 0));
            }
            expect(await store.keys()).toEqual(model.map(([k]) => k));
          } finally {
            await store.close();
          }
        }),
        { numRuns: harness.propertyRuns ?? 100 },
      );
    });
  });
}
