/**
 * Real workflows on the mesh (issue 16, goal 4): the WfCommons traces of 1000Genome and Epigenomics, imported with
 * a work scale and a data scale (`--scale`, `--data-scale` of `handout run`), so every task spins for its recorded
 * runtime × scale and returns its recorded output bytes × data scale, which then travel to the tasks that read them.
 *
 * Mesh: three `handout peer` processes (one worker slot each) and a coordinator embedded in this process. Reported
 * per trace: the mesh's makespan; the recorded makespan × scale (the trace ran on one Chameleon node with many
 * cores, so this is a reference, not a bound); the lower bound on three slots, max(critical path, work / 3), both
 * scaled; the bytes the results carried; and the ratios. Every task's result is checked: final results are fetched
 * and must name their task and carry exactly the bytes the trace gives it.
 *
 * Traces: $HANDOUT_BENCHMARKS_DIR/wfinstances, else /work/shared/benchmarks/wfinstances, else
 * ../shared/benchmarks/wfinstances beside the repository (not vendored: they are large and LGPL-3.0).
 * WF_SCALE (default 0.002) and WF_DATA_SCALE (default 0.1) override the scales.
 *
 * Run inside the network namespace: bash test/netns/run.sh node --conditions=source --import tsx bench/wfcommons.bench.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DagJSON, FunctionSpec } from '../peer-runtime/src/index.js';
import { connect } from '../sdk/src/connect.js';
import type { SyntheticTask } from '../sdk/src/importers/synthetic-work.js';
import { parseWfFormat } from '../sdk/src/importers/wfformat.js';
import { startMeshHarness } from '../test/harness/mesh-harness.js';
import type { BenchResult } from './types.js';

const TRACES = {
  genome: '1000genome-chameleon-2ch-100k-001.json',
  epigenomics: 'epigenomics-chameleon-hep-1seq-100k-001.json',
} as const;
const PEERS = ['wf-a', 'wf-b', 'wf-c'];

function tracesDir(): string | undefined {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const candidates = [
    process.env.HANDOUT_BENCHMARKS_DIR && join(process.env.HANDOUT_BENCHMARKS_DIR, 'wfinstances'),
    '/work/shared/benchmarks/wfinstances',
    resolve(repoRoot, '../shared/benchmarks/wfinstances'),
  ];
  return candidates.find((d): d is string => typeof d === 'string' && existsSync(join(d, TRACES.genome)));
}

function scaleFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${name} must be a number >= 0, got '${raw}'`);
  return value;
}

const taskOf = (f: FunctionSpec) => f.extraArgs?.[0] as SyntheticTask;

/** Critical path and total work of the imported DAG, in ms of synthetic work (the specs are in input order). */
function bounds(dag: DagJSON): { criticalMs: number; workMs: number; bytes: number } {
  const finish = new Map<string, number>();
  let criticalMs = 0;
  let workMs = 0;
  let bytes = 0;
  const pending = [...dag.functions];
  // Importers emit tasks in trace order, which is not always topological: repeat until every finish is known.
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = pending.length - 1; i >= 0; i--) {
      const f = pending[i]!;
      const args = (f.args ?? []) as string[];
      if (!args.every((a) => finish.has(a))) continue;
      const task = taskOf(f);
      const end = Math.max(0, ...args.map((a) => finish.get(a)!)) + task.ms;
      finish.set(f.id, end);
      criticalMs = Math.max(criticalMs, end);
      workMs += task.ms;
      bytes += task.bytes ?? 0;
      pending.splice(i, 1);
    }
    if (pending.length === before) throw new Error('wfcommons bench: the imported DAG has a cycle');
  }
  return { criticalMs, workMs, bytes };
}

function recordedMakespanSeconds(json: unknown): number {
  const seconds = (json as { workflow?: { execution?: { makespanInSeconds?: unknown } } }).workflow?.execution
    ?.makespanInSeconds;
  if (typeof seconds !== 'number')
    throw new Error('wfcommons bench: trace has no execution.makespanInSeconds');
  return seconds;
}

export async function benchWfCommons(): Promise<BenchResult> {
  const dir = tracesDir();
  if (dir === undefined) {
    return {
      name: 'wfcommons',
      metrics: {},
      summary: 'wfcommons: not run — no wfinstances folder (set HANDOUT_BENCHMARKS_DIR)',
    };
  }
  const scale = scaleFrom('WF_SCALE', 0.002);
  const dataScale = scaleFrom('WF_DATA_SCALE', 0.1);
  const metrics: Record<string, number> = { scale, dataScale };
  const parts: string[] = [];
  const h = await startMeshHarness({ mesh: 'bench-wf' });
  try {
    for (const id of PEERS) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers(PEERS);
    const mesh = await connect({
      signal: h.server.url,
      token: h.token(['submit', 'coordinate'], 'bench-wf-coordinator'),
      coordinator: 'embedded',
    });
    try {
      // Warm-up: one small trace opens the channels to every peer and compiles the synthetic-work source.
      const warm = parseWfFormat(readFileSync(join(dir, TRACES.genome), 'utf8'), { scale: 0, dataScale: 0 });
      await mesh.submit(warm.toJSON()).done;

      for (const [key, file] of Object.entries(TRACES)) {
        const text = readFileSync(join(dir, file), 'utf8');
        const dag = parseWfFormat(text, { scale, dataScale }).toJSON();
        const { criticalMs, workMs, bytes } = bounds(dag);
        const recordedMs = recordedMakespanSeconds(JSON.parse(text)) * 1000 * scale;
        const started = performance.now();
        const run = mesh.submit(dag);
        const summary = await run.done;
        const ms = performance.now() - started;
        if (summary.status !== 'succeeded') {
          const bad = summary.functions.find((r) => r.status !== 'succeeded');
          throw new Error(
            `wfcommons ${key}: ${summary.status} at '${bad?.id}': ${bad?.error?.message ?? ''}`,
          );
        }
        const consumed = new Set(dag.functions.flatMap((f) => (f.args ?? []) as string[]));
        for (const f of dag.functions.filter((g) => !consumed.has(g.id))) {
          const value = (await run.result(f.id)) as { task?: string; data?: Uint8Array };
          const want = taskOf(f).bytes ?? 0;
          if (value.task !== f.id || (value.data?.byteLength ?? 0) !== want) {
            throw new Error(
              `wfcommons ${key}: '${f.id}' returned task '${value.task}' with ${value.data?.byteLength ?? 0} bytes, expected ${want}`,
            );
          }
        }
        const boundMs = Math.max(criticalMs, workMs / PEERS.length);
        metrics[`${key}.functions`] = dag.functions.length;
        metrics[`${key}.makespanMs`] = ms;
        metrics[`${key}.recordedScaledMs`] = recordedMs;
        metrics[`${key}.lowerBoundMs`] = boundMs;
        metrics[`${key}.resultMB`] = bytes / 1e6;
        metrics[`${key}.vsRecordedRatio`] = ms / recordedMs;
        metrics[`${key}.vsLowerBoundRatio`] = ms / boundMs;
        parts.push(
          `${key} (${dag.functions.length} tasks, ${(bytes / 1e6).toFixed(1)} MB of results): ${ms.toFixed(0)} ms, ` +
            `${(ms / recordedMs).toFixed(2)}× recorded, ${(ms / boundMs).toFixed(2)}× the 3-slot bound`,
        );
      }
    } finally {
      await mesh.close();
    }
  } finally {
    await h.close();
  }
  return {
    name: 'wfcommons',
    metrics,
    summary: `wfcommons on 3 single-slot peers (scale ${scale}, data scale ${dataScale}): ${parts.join('; ')}`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchWfCommons();
  console.log(JSON.stringify(result, null, 2));
}
