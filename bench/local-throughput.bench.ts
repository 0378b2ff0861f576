/**
 * No-op functions per second through the local engine (`runLocal`: validation, hashing, dependency resolution,
 * result store, worker pool) against Piscina running the same number of no-op tasks, on the same machine in the
 * same process. Both pools are warmed up first, so the figures compare steady-state dispatch, not thread start-up
 * (the cold figure, with `runLocal` spawning its own pool, is reported separately). The engine's pools run code
 * in the sandbox (the default); `measureSandbox` reports what that costs against a pool that trusts code.
 *
 * Run: `node --conditions=source --import tsx bench/local-throughput.bench.ts` (or through `pnpm bench`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { hashFunctions } from '../peer-runtime/src/dag/hash.js';
import type { FunctionSpec } from '../peer-runtime/src/dag/types.js';
import { validateDag } from '../peer-runtime/src/dag/validate.js';
import { runLocal } from '../peer-runtime/src/engine/run-local.js';
import type { WorkerPool } from '../peer-runtime/src/worker/pool.js';
import { createWorkerPool } from '../peer-runtime/src/worker/pool.node.js';
import type { BenchResult } from './types.js';

export interface LocalThroughputOptions {
  /** Functions per DAG (and Piscina tasks). Default 20,000. */
  readonly functions?: number;
  /** Width of the layered DAG; each function depends on two of the previous layer. Default 100. */
  readonly width?: number;
  /** Timed repetitions of each measurement; the median is reported. Default 3. */
  readonly runs?: number;
}

const NOOP = '() => undefined';

/** `n` independent no-ops. The extra argument makes each hash distinct, so none is deduplicated away. */
function independentDag(n: number): FunctionSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    args: [],
    code: { kind: 'source', source: NOOP },
    extraArgs: [i],
  }));
}

/** `n` no-ops in layers of `width`; function j of a layer depends on functions j and j+1 of the layer before. */
function layeredDag(n: number, width: number): FunctionSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const layer = Math.floor(i / width);
    const j = i % width;
    const args =
      layer === 0 ? [] : [`l${(layer - 1) * width + j}`, `l${(layer - 1) * width + ((j + 1) % width)}`];
    return { id: `l${i}`, args, code: { kind: 'source', source: NOOP }, extraArgs: [i] };
  });
}

/** Spends about 1 ms of the worker's time (a busy wait), then returns `k`. */
const ONE_MS = '(k) => { const end = performance.now() + 1; while (performance.now() < end) {} return k; }';

/**
 * What the sandbox costs (issue 11): the same no-op DAG on `sandboxed` (the default pool) and on a pool that
 * trusts code; `4 × cores × 100` independent 1 ms functions on each; and the cold start of one worker (spawn to
 * first result), which for the sandbox includes loading SES and `lockdown()`. Interleaved, median of `runs`.
 */
async function measureSandbox(
  noops: FunctionSpec[],
  sandboxed: WorkerPool,
  cores: number,
  runs: number,
): Promise<Record<string, number>> {
  const busy: FunctionSpec[] = Array.from({ length: cores * 400 }, (_, i) => ({
    id: `b${i}`,
    args: [],
    code: { kind: 'source', source: ONE_MS },
    extraArgs: [i],
  }));
  const trusted = createWorkerPool({ size: cores, trustCode: true });
  const coldStart = async (trustCode: boolean): Promise<number> => {
    const single = createWorkerPool({ size: 1, trustCode });
    try {
      return await timeIt(async () => {
        await single.run({ functionId: 'first', code: { kind: 'source', source: '() => 1' }, args: [] });
      });
    } finally {
      await single.close();
    }
  };
  try {
    await runDag(noops, trusted);
    await runDag(busy, trusted);
    await runDag(busy, sandboxed);
    const noopOn: number[] = [];
    const noopOff: number[] = [];
    const busyOn: number[] = [];
    const busyOff: number[] = [];
    const coldOn: number[] = [];
    const coldOff: number[] = [];
    const ses: number[] = [];
    for (let r = 0; r < runs; r++) {
      noopOn.push(await timeIt(() => runDag(noops, sandboxed)));
      noopOff.push(await timeIt(() => runDag(noops, trusted)));
      busyOn.push(await timeIt(() => runDag(busy, sandboxed)));
      busyOff.push(await timeIt(() => runDag(busy, trusted)));
      coldOn.push(await coldStart(false));
      coldOff.push(await coldStart(true));
      ses.push(await sesStartMs());
    }
    const rate = (count: number, ms: number): number => Math.round((count / ms) * 1000);
    const ratio = (on: number[], off: number[]): number => Math.round((median(off) / median(on)) * 100) / 100;
    return {
      noopNoSandboxPerSecond: rate(noops.length, median(noopOff)),
      noopSandboxVsNoSandbox: ratio(noopOn, noopOff),
      oneMsFunctions: busy.length,
      oneMsSandboxPerSecond: rate(busy.length, median(busyOn)),
      oneMsNoSandboxPerSecond: rate(busy.length, median(busyOff)),
      oneMsSandboxVsNoSandbox: ratio(busyOn, busyOff),
      sandboxColdStartMs: Math.round(median(coldOn)),
      noSandboxColdStartMs: Math.round(median(coldOff)),
      sesStartMsPerWorker: Math.round(median(ses)),
    };
  } finally {
    await trusted.close();
  }
}

/**
 * What the sandbox adds to a worker's start, measured inside a bare worker thread: loading SES, `lockdown()`
 * and one compartment, ms. The pool's own cold start (spawn to first result) is dominated, when running from
 * source, by tsx compiling the worker's TypeScript, which would hide this figure.
 */
async function sesStartMs(): Promise<number> {
  const ses = pathToFileURL(createRequire(new URL('../peer-runtime/', import.meta.url)).resolve('ses')).href;
  const code = `const { parentPort } = require('node:worker_threads');
    const t = performance.now();
    import(${JSON.stringify(ses)}).then(() => {
      lockdown({ errorTaming: 'unsafe', consoleTaming: 'unsafe' });
      new Compartment({ __options__: true });
      parentPort.postMessage(performance.now() - t);
    });`;
  const worker = new Worker(code, { eval: true, env: {} });
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function runDag(dag: FunctionSpec[], pool: WorkerPool | undefined): Promise<void> {
  const summary = await runLocal(dag, pool ? { pool } : {}).done;
  if (summary.status !== 'succeeded') throw new Error(`benchmark run ended ${summary.status}`);
}

export async function benchLocalThroughput(options: LocalThroughputOptions = {}): Promise<BenchResult> {
  const n = options.functions ?? 20_000;
  const width = options.width ?? 100;
  const runs = options.runs ?? 3;
  const cores = availableParallelism();
  const independent = independentDag(n);
  const layered = layeredDag(n, width);

  const dir = mkdtempSync(join(tmpdir(), 'handout-bench-'));
  const noopFile = join(dir, 'noop.mjs');
  writeFileSync(noopFile, 'export default function noop() { return undefined; }\n');
  // Piscina with its defaults (its own choice of thread count for this machine).
  const piscina = new Piscina({ filename: pathToFileURL(noopFile).href });
  const pool = createWorkerPool({ size: cores });
  try {
    const piscinaBatch = async (): Promise<void> => {
      await Promise.all(Array.from({ length: n }, (_, i) => piscina.run(i)));
    };
    // Warm-up: threads started, JIT warm, on both sides.
    await piscinaBatch();
    await runDag(independent, pool);
    await runDag(layered, pool);

    const piscinaMs: number[] = [];
    const independentMs: number[] = [];
    const layeredMs: number[] = [];
    // What runLocal spends before anything runs (validation and content hashing), measured apart to show the split.
    const prepareMs: number[] = [];
    // Interleave the contenders so that machine noise hits both alike.
    for (let r = 0; r < runs; r++) {
      piscinaMs.push(await timeIt(piscinaBatch));
      independentMs.push(await timeIt(() => runDag(independent, pool)));
      layeredMs.push(await timeIt(() => runDag(layered, pool)));
      prepareMs.push(
        await timeIt(async () => {
          validateDag(independent);
          hashFunctions(independent);
        }),
      );
    }
    const coldMs = await timeIt(() => runDag(independent, undefined));
    const sandbox = await measureSandbox(independent, pool, cores, runs);

    const perSecond = (ms: number): number => Math.round((n / ms) * 1000);
    const piscinaRate = perSecond(median(piscinaMs));
    const independentRate = perSecond(median(independentMs));
    const layeredRate = perSecond(median(layeredMs));
    const ratio = (x: number): number => Math.round((x / piscinaRate) * 100) / 100;
    return {
      name: 'local-throughput',
      metrics: {
        functions: n,
        cores,
        piscinaMaxThreads: piscina.maxThreads,
        piscinaTasksPerSecond: piscinaRate,
        independentFunctionsPerSecond: independentRate,
        layeredFunctionsPerSecond: layeredRate,
        independentVsPiscina: ratio(independentRate),
        layeredVsPiscina: ratio(layeredRate),
        coldIndependentFunctionsPerSecond: perSecond(coldMs),
        validateAndHashMs: Math.round(median(prepareMs)),
        independentExcludingValidateAndHashPerSecond: perSecond(median(independentMs) - median(prepareMs)),
        ...sandbox,
      },
      summary:
        `| local engine, ${n.toLocaleString('en')} no-ops | independent ${independentRate.toLocaleString('en')}/s ` +
        `(${ratio(independentRate)}× Piscina), layered width ${width} ${layeredRate.toLocaleString('en')}/s ` +
        `(${ratio(layeredRate)}× Piscina); Piscina ${piscinaRate.toLocaleString('en')}/s; ${cores} cores; sandbox: ` +
        `no-ops ${sandbox.noopSandboxVsNoSandbox}× of no sandbox, 1 ms functions ${sandbox.oneMsSandboxVsNoSandbox}×, ` +
        `cold start ${sandbox.sandboxColdStartMs} ms per worker (${sandbox.noSandboxColdStartMs} ms without; SES ` +
        `load + lockdown ${sandbox.sesStartMsPerWorker} ms) |`,
    };
  } finally {
    await Promise.all([pool.close(), piscina.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchLocalThroughput();
  console.log(JSON.stringify(result));
  console.log(result.summary);
}
