/**
 * The local engine on real work (issue 16, goal 6): independent functions that each busy-wait 0, 0.25, 1 or
 * 10 ms, through `runLocal` and through Piscina with the same thread count (2 by default), in one sitting.
 *
 * - warm: both sides reuse a pool that is already started (Handout's pool passed to `runLocal`), so the figure
 *   is steady-state dispatch;
 * - cold: each run makes its own pool (`runLocal` without `pool`, what every CLI run does; a `new Piscina` per
 *   run, destroyed after), so the figure includes starting the workers. `firstStartMs` is the time from the
 *   `runLocal` call to the first function handed to a worker (what a run's own pool costs before work starts).
 *
 * Every run's results are checked (each function returns its own index; the sum must match), so neither side
 * can win by skipping work. CPU per function is the whole process's (process.cpuUsage counts every thread: the
 * dispatching thread and both workers), reported as µs per function and as the overhead above the function's own
 * busy time. The contenders alternate within each repetition so machine noise hits both alike; medians of
 * `runs`. On a shared machine the CPU figures are the steadier ones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { FunctionSpec } from '../peer-runtime/src/dag/types.js';
import { runLocal } from '../peer-runtime/src/engine/run-local.js';
import type { WorkerPool } from '../peer-runtime/src/worker/pool.js';
import { createWorkerPool } from '../peer-runtime/src/worker/pool.node.js';
import type { BenchResult } from './types.js';

export interface LocalSizesOptions {
  /** Worker threads on both sides. Default 2. */
  readonly threads?: number;
  /** Timed repetitions of each measurement; the median is reported. Default 3. */
  readonly runs?: number;
  /** Target busy time of one run, ms of function work per thread; sets the function count per size. Default 600. */
  readonly workPerThreadMs?: number;
}

/** Function sizes, ms of busy work per call. */
const SIZES = [0, 0.25, 1, 10] as const;

/** The same function on both sides: busy-waits `ms`, returns `k`. */
const BUSY =
  '(k, ms) => { if (ms > 0) { const end = performance.now() + ms; while (performance.now() < end) {} } return k; }';

function dagOf(n: number, ms: number): FunctionSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `f${i}`,
    args: [],
    code: { kind: 'source', source: BUSY },
    extraArgs: [i, ms],
  }));
}

function countFor(ms: number, threads: number, workPerThreadMs: number): number {
  if (ms === 0) return 20_000;
  return Math.max(50, Math.round((workPerThreadMs * threads) / ms));
}

interface Sample {
  readonly wallMs: number;
  readonly cpuUs: number;
  readonly firstStartMs?: number;
}

const expectedSum = (n: number): number => (n * (n - 1)) / 2;

async function sample(fn: () => Promise<number | undefined>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const firstStartMs = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuUs: cpu.user + cpu.system, ...(firstStartMs !== undefined && { firstStartMs }) };
}

/** One `runLocal` of `dag`; checks every result; returns ms from the call to the first function's start. */
async function handoutRun(
  dag: FunctionSpec[],
  pool: WorkerPool | undefined,
  threads: number,
): Promise<number> {
  const calledAt = Date.now();
  const summary = await runLocal(dag, pool ? { pool } : { concurrency: threads }).done;
  if (summary.status !== 'succeeded') throw new Error(`benchmark run ended ${summary.status}`);
  let sum = 0;
  let first = Number.POSITIVE_INFINITY;
  for (const r of summary.functions) {
    sum += r.results as number;
    if (r.startedAt !== undefined && r.startedAt < first) first = r.startedAt;
  }
  if (sum !== expectedSum(dag.length))
    throw new Error(`handout results sum to ${sum}, not ${expectedSum(dag.length)}`);
  return first - calledAt;
}

async function piscinaRun(piscina: Piscina, n: number, ms: number): Promise<void> {
  const values = await Promise.all(
    Array.from({ length: n }, (_, k) => piscina.run({ k, ms }) as Promise<number>),
  );
  let sum = 0;
  for (const v of values) sum += v;
  if (sum !== expectedSum(n)) throw new Error(`piscina results sum to ${sum}, not ${expectedSum(n)}`);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export async function benchLocalSizes(options: LocalSizesOptions = {}): Promise<BenchResult> {
  const threads = options.threads ?? 2;
  const runs = options.runs ?? 3;
  const workPerThreadMs = options.workPerThreadMs ?? 600;
  const dir = mkdtempSync(join(tmpdir(), 'handout-bench-sizes-'));
  const file = join(dir, 'busy.mjs');
  writeFileSync(
    file,
    `const busy = ${BUSY};\nexport default function task({ k, ms }) { return busy(k, ms); }\n`,
  );
  const filename = pathToFileURL(file).href;
  const piscinaOptions = { filename, minThreads: threads, maxThreads: threads };
  const piscina = new Piscina(piscinaOptions);
  const pool = createWorkerPool({ size: threads });
  const metrics: Record<string, number> = { threads };
  const cells: string[] = [];
  try {
    await pool.ready();
    for (const ms of SIZES) {
      const n = countFor(ms, threads, workPerThreadMs);
      const dag = dagOf(n, ms);
      // Warm-up: JIT and, for Handout, the pool's per-code time estimate.
      await piscinaRun(piscina, n, ms);
      await handoutRun(dag, pool, threads);
      const warmH: Sample[] = [];
      const warmP: Sample[] = [];
      const coldH: Sample[] = [];
      const coldP: Sample[] = [];
      for (let r = 0; r < runs; r++) {
        warmP.push(await sample(async () => piscinaRun(piscina, n, ms).then(() => undefined)));
        warmH.push(await sample(() => handoutRun(dag, pool, threads)));
        coldH.push(await sample(() => handoutRun(dag, undefined, threads)));
        coldP.push(
          await sample(async () => {
            const own = new Piscina(piscinaOptions);
            try {
              await piscinaRun(own, n, ms);
            } finally {
              await own.destroy();
            }
            return undefined;
          }),
        );
      }
      const key = `ms${String(ms).replace('.', '_')}`;
      const rate = (s: Sample[]): number => Math.round((n / median(s.map((x) => x.wallMs))) * 1000);
      const cpuPer = (s: Sample[]): number => Math.round(median(s.map((x) => x.cpuUs)) / n);
      const overhead = (s: Sample[]): number => Math.max(0, cpuPer(s) - ms * 1000);
      const m = {
        functions: n,
        warmPerSecond: rate(warmH),
        warmPiscinaPerSecond: rate(warmP),
        warmVsPiscina: round2(rate(warmH) / rate(warmP)),
        coldPerSecond: rate(coldH),
        coldPiscinaPerSecond: rate(coldP),
        coldVsPiscina: round2(rate(coldH) / rate(coldP)),
        coldFirstStartMs: Math.round(median(coldH.map((x) => x.firstStartMs ?? 0))),
        warmFirstStartMs: Math.round(median(warmH.map((x) => x.firstStartMs ?? 0))),
        warmCpuUsPerFunction: cpuPer(warmH),
        warmPiscinaCpuUsPerFunction: cpuPer(warmP),
        warmOverheadCpuUsPerFunction: overhead(warmH),
        warmPiscinaOverheadCpuUsPerFunction: overhead(warmP),
        coldCpuUsPerFunction: cpuPer(coldH),
        coldPiscinaCpuUsPerFunction: cpuPer(coldP),
      };
      for (const [k, v] of Object.entries(m)) metrics[`${key}.${k}`] = v;
      cells.push(
        `${ms} ms × ${n}: warm ${m.warmVsPiscina}× (${m.warmPerSecond.toLocaleString('en')}/s vs ` +
          `${m.warmPiscinaPerSecond.toLocaleString('en')}/s, CPU overhead ${m.warmOverheadCpuUsPerFunction} vs ` +
          `${m.warmPiscinaOverheadCpuUsPerFunction} µs/fn), cold ${m.coldVsPiscina}× (first start ` +
          `${m.coldFirstStartMs} ms)`,
      );
      console.error(`local-sizes: ${cells.at(-1)}`);
    }
  } finally {
    await Promise.all([pool.close(), piscina.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'local-sizes',
    metrics,
    summary: `| local engine vs Piscina, ${threads} threads each | ${cells.join('; ')} |`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchLocalSizes();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
}
