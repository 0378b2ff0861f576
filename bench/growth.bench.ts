/**
 * Growth (issue 16, goal 2): does the cost per function stay flat from 1k to 1M functions, and what does each
 * function cost the coordinator's memory? Real processes over WebRTC: two contributing `handout peer` processes
 * of one slot each, and a coordinator. Each size runs the layered no-op DAG of mesh.bench.ts (width 100, two
 * inputs each) once, on the same processes, smallest first, after a warm-up.
 *
 * The coordinator (`GROWTH_COORDINATOR`):
 * - `process` (default): a coordinator of its own (`handout peer --coordinator`, role `coordinate` only, so it
 *   runs nothing) and this process as a remote submitter; the submitter's RSS is reported apart. The coordinator
 *   is started with bench/heap-probe.mjs preloaded, so its heap after a full GC is read before and after each
 *   run (SIGUSR2): that is what the run left behind in the coordinator, without the garbage RSS still holds.
 * - `embedded`: in this process, through `connect({ coordinator: 'embedded' })`, as mesh.bench.ts runs it. The
 *   DAG is built before the baseline is taken, so the growth measured is the coordinator's bookkeeping and the
 *   run's records (the submitter's `Run` is the coordinator's own here), not the DAG; the DAG's own heap is
 *   reported apart (`dagHeapBytesPerFunction`). No heap figure (the submitter's heap is in it).
 *
 * Reported per size: functions/s; CPU per function of the coordinator's process (all threads, /proc); its RSS
 * growth per function: peak RSS during the run (sampled every 100 ms) minus RSS before it, over the function
 * count, and what stays after the run (RSS a second after minus before); with `process`, its heap kept per
 * function (heapUsed after a full GC, after minus before). Then the in-process figure of memory-per-function.ts
 * (coordinator and two agents in one heap, memory transport) for each size up to `GROWTH_INPROCESS_MAX`
 * (default 100000; 0 = none), each in a child process of its own.
 *
 * Goal: coordinator ≤ 1 KiB per function; per-function wall and CPU at the largest size within 1.3× of 10k.
 * `GROWTH_SIZES=1000,10000,100000,1000000` (the default) picks the sizes; `pnpm bench growth`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, type MeshSubmitOptions } from '../sdk/src/connect.js';
import { startMeshHarness } from '../test/harness/mesh-harness.js';
import { describeMemory, measureMemoryInChild } from './memory-per-function.js';
import { layeredNoopDag } from './mesh.bench.js';
import { cpuMs } from './process-cpu.js';
import type { BenchResult } from './types.js';

const WIDTH = 100;
const sizes = (process.env.GROWTH_SIZES ?? '1000,10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= WIDTH);

/** Resident set of a process, bytes (VmRSS), from /proc. */
function rssOf(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? Number.NaN) * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The remote submitter's liveness window. Its failover default (2 s) lost the coordinator at the end of 100k
 * runs on this loaded machine: the coordinator is silent for seconds while it ends a run that large (building
 * and encoding a run:done of every function). The figures measured here are the coordinator's memory and CPU,
 * not that pause, so the bench waits longer (`GROWTH_LIVENESS_MS`, default 30 s); the pause is reported apart.
 * SubmitRemoteOptions takes it; MeshSubmitOptions does not list it but passes it on.
 */
const submitOptions: MeshSubmitOptions & { livenessTimeoutMs: number } = {
  livenessTimeoutMs: Number(process.env.GROWTH_LIVENESS_MS ?? 30_000),
};

const PROBE = new URL('./heap-probe.mjs', import.meta.url).pathname;

/** heapUsed of a process started with heap-probe.mjs, after a full GC there (SIGUSR2, then its answer file). */
async function heapOf(pid: number, dir: string): Promise<number> {
  const file = join(dir, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 30_000; waited += 50) {
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { heapUsed: number }).heapUsed;
    await sleep(50);
  }
  throw new Error(`growth: coordinator ${pid} did not answer the heap probe within 30 s`);
}

/** Spawns with extra env for this one child: the harness takes its node flags and env from process.env. */
function withEnv<T>(extra: Record<string, string>, spawnIt: () => T): T {
  const saved = Object.fromEntries(Object.keys(extra).map((k) => [k, process.env[k]]));
  Object.assign(process.env, extra);
  try {
    return spawnIt();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function benchGrowth(): Promise<BenchResult> {
  const h = await startMeshHarness({ mesh: 'bench-growth' });
  const metrics: Record<string, number> = {};
  const lines: string[] = [];
  const probeDir = mkdtempSync(join(tmpdir(), 'handout-growth-heap-'));
  try {
    const inProcess = (process.env.GROWTH_COORDINATOR ?? 'process') !== 'process';
    const co = inProcess
      ? undefined
      : withEnv(
          {
            HANDOUT_PEER_NODE_ARGS: `${process.env.HANDOUT_PEER_NODE_ARGS ?? ''} --import ${PROBE}`.trim(),
            HANDOUT_HEAP_PROBE_DIR: probeDir,
          },
          () => h.spawnPeer({ id: 'growth-co', roles: ['coordinate'], flags: ['--coordinator'] }),
        );
    for (const id of ['growth-a', 'growth-b'])
      h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers([...(co ? ['growth-co'] : []), 'growth-a', 'growth-b']);
    const coPid: number | 'self' = co?.child.pid ?? 'self';
    const mesh = await connect({
      signal: h.server.url,
      token: h.token(inProcess ? ['submit', 'coordinate'] : ['submit'], 'growth-submitter'),
      coordinator: inProcess ? 'embedded' : 'mesh',
    });
    try {
      // Warm-up: opens every data channel and compiles the hot paths.
      const warm = await mesh.submit(layeredNoopDag(10, WIDTH, 900)).done;
      if (warm.status !== 'succeeded') throw new Error(`growth warm-up ${warm.status}`);
      for (const [k, n] of sizes.entries()) {
        const heap0 = process.memoryUsage().heapUsed;
        const dag = layeredNoopDag(n / WIDTH, WIDTH, 1000 + k);
        metrics[`dagHeapBytesPerFunction_${n}`] = (process.memoryUsage().heapUsed - heap0) / n;
        await sleep(200);
        const heapBefore = typeof coPid === 'number' ? await heapOf(coPid, probeDir) : undefined;
        const coBefore = rssOf(coPid);
        const subBefore = rssOf('self');
        let coPeak = coBefore;
        let subPeak = subBefore;
        const sampler = setInterval(() => {
          coPeak = Math.max(coPeak, rssOf(coPid));
          subPeak = Math.max(subPeak, rssOf('self'));
        }, 100);
        const cpu0 = cpuMs(coPid) ?? Number.NaN;
        const t0 = performance.now();
        const run = mesh.submit(dag, submitOptions);
        const summary = await run.done;
        const ms = performance.now() - t0;
        const cpu = (cpuMs(coPid) ?? Number.NaN) - cpu0;
        clearInterval(sampler);
        coPeak = Math.max(coPeak, rssOf(coPid));
        subPeak = Math.max(subPeak, rssOf('self'));
        if (summary.status !== 'succeeded') {
          const bad = summary.functions.find((r) => r.status !== 'succeeded');
          throw new Error(
            `growth run of ${n} ${summary.status}: ${bad?.id} ${bad?.status} ${bad?.error?.message ?? ''}`,
          );
        }
        await sleep(1000);
        const coAfter = rssOf(coPid);
        const heapAfter = typeof coPid === 'number' ? await heapOf(coPid, probeDir) : undefined;
        const m = {
          functionsPerSecond: n / (ms / 1000),
          coordinatorCpuUs: (cpu * 1000) / n,
          coordinatorPeakBytesPerFunction: (coPeak - coBefore) / n,
          coordinatorKeptBytesPerFunction: (coAfter - coBefore) / n,
          coordinatorPeakMiB: coPeak / 2 ** 20,
          ...(heapBefore !== undefined &&
            heapAfter !== undefined && { coordinatorHeapKeptBytesPerFunction: (heapAfter - heapBefore) / n }),
          ...(!inProcess && { submitterPeakBytesPerFunction: (subPeak - subBefore) / n }),
        };
        for (const [key, v] of Object.entries(m)) metrics[`${key}_${n}`] = v;
        lines.push(
          `${n.toLocaleString('en')}: ${m.functionsPerSecond.toFixed(0)}/s, coordinator ${m.coordinatorCpuUs.toFixed(0)} µs CPU and ` +
            `${m.coordinatorPeakBytesPerFunction.toFixed(0)} B peak RSS per function (${m.coordinatorKeptBytesPerFunction.toFixed(0)} B kept after` +
            (m.coordinatorHeapKeptBytesPerFunction === undefined
              ? '), '
              : `, ${m.coordinatorHeapKeptBytesPerFunction.toFixed(0)} B heap kept after GC), `) +
            (m.submitterPeakBytesPerFunction === undefined
              ? '(embedded coordinator: submitter included)'
              : `submitter ${m.submitterPeakBytesPerFunction.toFixed(0)} B/function`),
        );
        console.error(`growth: ${lines.at(-1)}`);
      }
    } finally {
      await mesh.close();
    }
  } finally {
    await h.close();
    rmSync(probeDir, { recursive: true, force: true });
  }
  // The in-process figure: coordinator and agents in one heap, measured after the mesh is closed.
  const inProcessMax = Number(process.env.GROWTH_INPROCESS_MAX ?? 100_000);
  const inProcessLines: string[] = [];
  for (const n of sizes.filter((s) => s <= inProcessMax)) {
    const f = measureMemoryInChild(n);
    metrics[`inProcessHeapBytesPerFunction_${n}`] = f.heapBytesPerFunction;
    metrics[`inProcessRssBytesPerFunction_${n}`] = f.rssBytesPerFunction;
    inProcessLines.push(describeMemory(f));
    console.error(`growth: in-process ${inProcessLines.at(-1)}`);
  }
  // Ratios against 10k when it was run (the goal's reference), else against the smallest size.
  const first = sizes.includes(10_000) ? 10_000 : sizes[0]!;
  const last = sizes.at(-1)!;
  if (sizes.length > 1) {
    metrics.wallRatioLargestTo10k =
      metrics[`functionsPerSecond_${first}`]! / metrics[`functionsPerSecond_${last}`]!;
    metrics.cpuRatioLargestTo10k =
      metrics[`coordinatorCpuUs_${last}`]! / metrics[`coordinatorCpuUs_${first}`]!;
  }
  return {
    name: 'growth',
    metrics,
    summary:
      `growth (2 single-slot peer processes, WebRTC, layered no-op DAG of width 100; coordinator ` +
      `${process.env.GROWTH_COORDINATOR === 'embedded' ? 'embedded in the submitter' : 'in a process of its own'}): ${lines.join('; ')}` +
      (sizes.length > 1
        ? `; per-function wall ${metrics.wallRatioLargestTo10k!.toFixed(2)}× and CPU ${metrics.cpuRatioLargestTo10k!.toFixed(2)}× ` +
          `${first.toLocaleString('en')}'s (goal ≤ 1.3×; coordinator goal ≤ 1,024 B/function)`
        : '') +
      (inProcessLines.length > 0
        ? `; in-process mesh (coordinator + 2 agents, one heap): ${inProcessLines.join('; ')}`
        : ''),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchGrowth();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
  process.exit(0);
}
