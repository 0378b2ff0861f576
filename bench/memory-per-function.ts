/**
 * Memory per function (issue 16, goal 2), in one process: the in-memory mesh of the tests (createTestMesh: a
 * coordinator and two agents with one worker thread each, memory transport) runs the layered no-op DAG of the
 * mesh benchmark (width 100) of N functions, then reports what the run left on the heap per function: heapUsed
 * after a full GC less heapUsed after a full GC before the submission, the DAG itself built before that baseline
 * (so what is counted is the coordinator's bookkeeping, the run's records and the agents' holdings, not the specs
 * the caller holds anyway). The run object stays referenced, as a caller holding it for its results would. RSS
 * before and after is printed too (it also holds freed pages that V8 has not given back, so the heap figure is the
 * one to compare).
 *
 * It needs `--expose-gc`: `pnpm bench memory` (bench/run.ts re-executes it with the flag), or directly
 * `node --expose-gc --conditions=source --import tsx bench/memory-per-function.ts [N...]` (default 20000).
 * `MEMORY_SIZES=20000,100000` picks the sizes for `pnpm bench memory`.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createTestMesh } from '../peer-runtime/test/mesh/helpers.js';
import { layeredNoopDag } from './mesh.bench.js';
import type { BenchResult } from './types.js';

const WIDTH = 100;

type Gc = () => void;

function fullGc(): void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error('memory-per-function needs node --expose-gc');
  // Twice: the first pass runs finalizers and weak callbacks whose targets the second one frees.
  gc();
  gc();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MemoryFigures {
  readonly functions: number;
  readonly heapBytesPerFunction: number;
  /** Bytes of ArrayBuffer backing stores (outside the V8 heap: result bytes, frames) retained per function. */
  readonly arrayBufferBytesPerFunction: number;
  readonly rssBytesPerFunction: number;
  readonly seconds: number;
}

/** One in-process mesh run of `n` no-op functions; figures per function. */
export async function measureMemory(n: number, salt = 1): Promise<MemoryFigures> {
  const mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
  try {
    await mesh.ready();
    // Warm-up: compiles the hot paths and fills the caches of fixed size (agents' recent values, metrics).
    const warm = await mesh.coordinator.submit(layeredNoopDag(10, WIDTH, salt * 2 + 900)).done;
    if (warm.status !== 'succeeded') throw new Error(`memory warm-up ${warm.status}`);
    const dag = layeredNoopDag(n / WIDTH, WIDTH, salt * 2 + 1000);
    await sleep(100);
    fullGc();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const run = mesh.coordinator.submit(dag);
    const summary = await run.done;
    const seconds = (performance.now() - t0) / 1000;
    if (summary.status !== 'succeeded') throw new Error(`memory run of ${n} ${summary.status}`);
    // Let completions' store writes and announcements settle before the second reading.
    await sleep(500);
    fullGc();
    const after = process.memoryUsage();
    // Both stay referenced until after the reading: the caller's DAG and run are not what is measured as freed.
    if (run.records().length !== n || dag.functions.length !== n) throw new Error('memory: lost the run');
    return {
      functions: n,
      heapBytesPerFunction: (after.heapUsed - before.heapUsed) / n,
      arrayBufferBytesPerFunction: (after.arrayBuffers - before.arrayBuffers) / n,
      rssBytesPerFunction: (after.rss - before.rss) / n,
      seconds,
    };
  } finally {
    await mesh.close();
  }
}

/** One size measured in a fresh `node --expose-gc` process of its own (so sizes do not share a heap). */
export function measureMemoryInChild(n: number): MemoryFigures {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--conditions=source', '--import', 'tsx', new URL(import.meta.url).pathname, String(n)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const json = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !json) throw new Error(`memory-per-function ${n} exited ${r.status}`);
  return JSON.parse(json) as MemoryFigures;
}

export function describeMemory(f: MemoryFigures): string {
  return (
    `${f.functions.toLocaleString('en')}: ${f.heapBytesPerFunction.toFixed(0)} B heap, ` +
    `${f.arrayBufferBytesPerFunction.toFixed(0)} B array buffers and ` +
    `${f.rssBytesPerFunction.toFixed(0)} B RSS retained per function (${(f.functions / f.seconds).toFixed(0)}/s)`
  );
}

/** `pnpm bench memory`: each size of MEMORY_SIZES in a fresh `node --expose-gc` process of its own. */
export async function benchMemory(): Promise<BenchResult> {
  const sizes = (process.env.MEMORY_SIZES ?? '20000').split(',').map((s) => Number(s.trim()));
  const metrics: Record<string, number> = {};
  const lines: string[] = [];
  for (const n of sizes) {
    const f = measureMemoryInChild(n);
    metrics[`heapBytesPerFunction_${n}`] = f.heapBytesPerFunction;
    metrics[`arrayBufferBytesPerFunction_${n}`] = f.arrayBufferBytesPerFunction;
    metrics[`rssBytesPerFunction_${n}`] = f.rssBytesPerFunction;
    lines.push(describeMemory(f));
  }
  return {
    name: 'memory',
    metrics,
    summary: `memory (in-process mesh, coordinator + 2 agents, layered no-op DAG): ${lines.join('; ')} (goal ≤ 1,024 B)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  for (const [k, n] of (sizes.length > 0 ? sizes : [20_000]).entries()) {
    if (!Number.isInteger(n) || n < WIDTH || n % WIDTH !== 0) throw new Error(`bad size ${n}`);
    const f = await measureMemory(n, k);
    console.log(JSON.stringify(f));
    console.error(`memory: ${describeMemory(f)}`);
  }
  process.exit(0);
}
