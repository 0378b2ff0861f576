/**
 * Result store throughput: put and get of 1 KiB and 1 MiB values on the in-memory and the LMDB disk store, plus
 * the checksum every read verifies (xxh32 against three sha-256s on 64 MiB, the figures behind integrity.ts's choice).
 *
 * Puts are measured two ways: one at a time, each awaited (a peer storing results as they finish; on disk each is
 * its own committed transaction), and 64 at a time (the disk store commits the writes of one event turn together).
 * The disk store runs twice: durable (each commit fsynced, the default) and with `durable: false`.
 * Gets are awaited one at a time (every get verifies its checksum and refreshes recency).
 *
 * The burst case is the mesh's pattern (issue 4): 10,000 tiny results (8–16 bytes under 64-hex-char hashes) put
 * 50 per event turn, each burst awaited, then got back the same way, on the memory store and the disk store with
 * `durable: false` (what mesh peers use). It reports CPU time per operation, the figure that matters when the
 * cores are saturated: of every thread (process.cpuUsage, so LMDB's write thread too) and of the main thread.
 *
 * Run: node --conditions=source --import tsx bench/store.bench.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

const BURST_COUNT = 10_000;
const BURST_SIZE = 50;

/** 64 hex chars, like a sha-256 content hash, distinct for each `i`. */
function hexHash(i: number): string {
  return createHash('sha256').update(`burst-${i}`).digest('hex');
}

/** Nanoseconds the calling (main) thread has run on a CPU, from Linux's schedstat; undefined elsewhere. */
function mainThreadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * CPU microseconds per operation of `run`, which performs `count` operations: `all` is user + system time of
 * every thread (process.cpuUsage; LMDB writes on its own thread), `main` the main thread's alone (-1 without
 * /proc), the part that competes with the peer's protocol and scheduling work.
 */
async function cpuMicrosPerOp(
  count: number,
  run: () => Promise<void>,
): Promise<{ all: number; main: number }> {
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuNs();
  await run();
  const used = process.cpuUsage(before);
  const mainAfter = mainThreadCpuNs();
  const round = (micros: number): number => Math.round((micros / count) * 100) / 100;
  return {
    all: round(used.user + used.system),
    main: mainBefore === undefined || mainAfter === undefined ? -1 : round((mainAfter - mainBefore) / 1000),
  };
}

/** Tiny puts and gets in bursts of 50 per event turn, on a fresh store: CPU per operation and wall rate. */
async function measureBursts(open: () => Promise<ResultStore>): Promise<Record<string, number>> {
  const hashes = Array.from({ length: BURST_COUNT }, (_, i) => hexHash(i));
  const values = Array.from({ length: 64 }, (_, i) => randomBytes(8 + (i % 9), i + 1));
  const inBursts = async (op: (i: number) => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < BURST_COUNT; i += BURST_SIZE) {
      const burst: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(BURST_COUNT, i + BURST_SIZE); j++) burst.push(op(j));
      await Promise.all(burst);
    }
  };
  const store = await open();
  try {
    // Warm-up bursts on other keys, so JIT compilation is not charged to the figures.
    for (let i = 0; i < 10; i++) {
      await Promise.all(
        Array.from({ length: BURST_SIZE }, (_, j) => store.put(hexHash(-1 - i * BURST_SIZE - j), values[j]!)),
      );
    }
    let started = performance.now();
    const putCpu = await cpuMicrosPerOp(BURST_COUNT, () =>
      inBursts((i) => store.put(hashes[i]!, values[i % values.length]!)),
    );
    const putSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const getCpu = await cpuMicrosPerOp(BURST_COUNT, () =>
      inBursts(async (i) => {
        if ((await store.get(hashes[i]!)) === undefined) throw new Error(`lost burst put ${i}`);
      }),
    );
    const getSeconds = (performance.now() - started) / 1000;
    return {
      burstPutCpuMicros: putCpu.all,
      burstPutMainThreadCpuMicros: putCpu.main,
      burstPutPerSecond: Math.round(BURST_COUNT / putSeconds),
      burstGetCpuMicros: getCpu.all,
      burstGetMainThreadCpuMicros: getCpu.main,
      burstGetPerSecond: Math.round(BURST_COUNT / getSeconds),
    };
  } finally {
    await store.close();
  }
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
    for (const [name, open] of stores.filter(([n]) => n !== 'disk')) {
      for (const [key, v] of Object.entries(await measureBursts(open))) metrics[`${name}.${key}`] = v;
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
      `${m('diskNoSync.put1MiBMiBPerSecond')} MiB/s; tiny values in bursts of 50: put ` +
      `${m('diskNoSync.burstPutCpuMicros')} µs CPU (main thread ${m('diskNoSync.burstPutMainThreadCpuMicros')} µs; ` +
      `${m('diskNoSync.burstPutPerSecond')}/s), get ${m('diskNoSync.burstGetCpuMicros')} µs CPU ` +
      `(memory store: put ${m('memory.burstPutCpuMicros')} µs). ` +
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
