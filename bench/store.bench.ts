/**
 * Result store throughput: put and get of 1 KiB and 1 MiB values on the in-memory and the LMDB disk store, plus
 * the checksum every read verifies (xxh32 against three sha-256s on 64 MiB, the figures behind integrity.ts's choice).
 *
 * Puts are measured two ways: one at a time, each awaited (a peer storing results as they finish; on disk each is
 * its own committed transaction), and 64 at a time (LMDB batches the writes of one event turn into one commit).
 * The disk store runs twice: durable (each commit fsynced, the default) and with `durable: false`.
 * Gets are awaited one at a time (every get verifies its checksum and refreshes recency).
 *
 * Run: node --conditions=source --import tsx bench/store.bench.ts
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDiskStore } from '../peer-runtime/src/store/disk.node.js';
import { xxh32 } from '../peer-runtime/src/store/integrity.js';
import { createMemoryStore } from '../peer-runtime/src/store/memory.js';
import type { ResultStore } from '../peer-runtime/src/store/types.js';
import type { BenchResult } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function randomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

interface Workload {
  readonly label: string;
  readonly size: number;
  readonly count: number;
}

const WORKLOADS: readonly Workload[] = [
  { label: '1KiB', size: KiB, count: 2_000 },
  { label: '1MiB', size: MiB, count: 64 },
];

/** Metrics for one store and one value size, on a fresh store. */
async function measure(open: () => Promise<ResultStore>, w: Workload): Promise<Record<string, number>> {
  const values = Array.from({ length: 16 }, (_, i) => randomBytes(w.size, i + 1));
  const value = (i: number): Uint8Array => values[i % values.length]!;

  let store = await open();
  const serialPut = await timed(async () => {
    for (let i = 0; i < w.count; i++) await store.put(`s${i}`, value(i));
  });
  const get = await timed(async () => {
    for (let i = 0; i < w.count; i++) {
      if ((await store.get(`s${i}`)) === undefined) throw new Error(`lost s${i}`);
    }
  });
  await store.close();

  store = await open();
  const batchedPut = await timed(async () => {
    for (let i = 0; i < w.count; i += 64) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(w.count, i + 64); j++) batch.push(store.put(`b${j}`, value(j)));
      await Promise.all(batch);
    }
  });
  await store.close();

  const mib = (w.size * w.count) / MiB;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    [`put${w.label}PerSecond`]: Math.round(w.count / serialPut),
    [`putBatched${w.label}PerSecond`]: Math.round(w.count / batchedPut),
    [`get${w.label}PerSecond`]: Math.round(w.count / get),
    [`put${w.label}MiBPerSecond`]: round(mib / serialPut),
    [`putBatched${w.label}MiBPerSecond`]: round(mib / batchedPut),
    [`get${w.label}MiBPerSecond`]: round(mib / get),
  };
}

/** Milliseconds for one call after a warm-up call. */
async function once(fn: () => unknown): Promise<number> {
  await fn();
  const start = performance.now();
  await fn();
  return Math.round(performance.now() - start);
}

async function checksumMetrics(): Promise<Record<string, number>> {
  // @noble/hashes is a dependency of peer-runtime, not of the workspace root: resolve it from there.
  const fromPeerRuntime = createRequire(new URL('../peer-runtime/package.json', import.meta.url));
  const { sha256 } = (await import(pathToFileURL(fromPeerRuntime.resolve('@noble/hashes/sha2.js')).href)) as {
    sha256: (data: Uint8Array) => Uint8Array;
  };
  const big = randomBytes(64 * MiB, 7);
  return {
    xxh32On64MiBMs: await once(() => xxh32(big)),
    nobleSha256On64MiBMs: await once(() => sha256(big)),
    webCryptoSha256On64MiBMs: await once(() => crypto.subtle.digest('SHA-256', big)),
    nodeCryptoSha256On64MiBMs: await once(() => createHash('sha256').update(big).digest()),
  };
}

export async function benchStore(): Promise<BenchResult> {
  const root = await mkdtemp(join(tmpdir(), 'handout-store-bench-'));
  let dirs = 0;
  try {
    const metrics: Record<string, number> = {};
    const stores: [string, () => Promise<ResultStore>][] = [
      ['memory', async () => createMemoryStore()],
      ['disk', () => createDiskStore({ dir: join(root, `db-${++dirs}`) })],
      ['diskNoSync', () => createDiskStore({ dir: join(root, `db-${++dirs}`), durable: false })],
    ];
    for (const [name, open] of stores) {
      for (const w of WORKLOADS) {
        for (const [key, v] of Object.entries(await measure(open, w))) metrics[`${name}.${key}`] = v;
      }
    }
    Object.assign(metrics, await checksumMetrics());
    const m = (key: string): string => (metrics[key] ?? 0).toLocaleString('en');
    const summary =
      `| result stores | memory: 1 KiB put ${m('memory.put1KiBPerSecond')}/s, get ${m('memory.get1KiBPerSecond')}/s; ` +
      `1 MiB put ${m('memory.put1MiBMiBPerSecond')} MiB/s, get ${m('memory.get1MiBMiBPerSecond')} MiB/s. ` +
      `disk (LMDB): 1 KiB put ${m('disk.put1KiBPerSecond')}/s (batched ${m('disk.putBatched1KiBPerSecond')}/s), ` +
      `get ${m('disk.get1KiBPerSecond')}/s; 1 MiB put ${m('disk.put1MiBMiBPerSecond')} MiB/s ` +
      `(batched ${m('disk.putBatched1MiBMiBPerSecond')} MiB/s), get ${m('disk.get1MiBMiBPerSecond')} MiB/s. ` +
      `disk, durable: false: 1 KiB put ${m('diskNoSync.put1KiBPerSecond')}/s, 1 MiB put ` +
      `${m('diskNoSync.put1MiBMiBPerSecond')} MiB/s. ` +
      `Checksum of 64 MiB: xxh32 ${m('xxh32On64MiBMs')} ms; sha-256 noble ${m('nobleSha256On64MiBMs')} ms, ` +
      `WebCrypto ${m('webCryptoSha256On64MiBMs')} ms, node:crypto ${m('nodeCryptoSha256On64MiBMs')} ms |`;
    return { name: 'result-stores', metrics, summary };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchStore();
  console.log(JSON.stringify(result));
  console.log(result.summary);
}
