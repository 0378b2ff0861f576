/**
 * Benchmark 3 of issue 4: makespan of `time-optimized` (HEFT plan, followed dynamically) and of `load-balanced`
 * on the Standard Task Graph Set, simulated on 4 single-slot peers of speeds 1, 1, 2 and 4 with free transfers
 * (STG graphs carry no communication costs). Each makespan is divided by the lower bound
 *   max(critical path at the fastest speed, total work / total speed),
 * so 1.00 is optimal and no schedule can go below it.
 *
 * Run: node --conditions=source --import tsx bench/makespan.bench.ts
 * Graphs: $HANDOUT_BENCHMARKS_DIR/stg, else /work/shared/benchmarks/stg, else ../shared/benchmarks/stg from the repo.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from '../peer-runtime/src/dag/types.js';
import {
  createAllocator,
  createNetworkModel,
  planHeft,
  type SimulatedPeer,
  simulate,
} from '../peer-runtime/src/scheduling/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PEERS: SimulatedPeer[] = [
  { peerId: 'slow-a', speed: 1, cores: 1 },
  { peerId: 'slow-b', speed: 1, cores: 1 },
  { peerId: 'mid', speed: 2, cores: 1 },
  { peerId: 'fast', speed: 4, cores: 1 },
];

function stgDir(): string | undefined {
  const candidates = [
    process.env.HANDOUT_BENCHMARKS_DIR && join(process.env.HANDOUT_BENCHMARKS_DIR, 'stg'),
    process.env.HANDOUT_BENCHMARKS_DIR,
    '/work/shared/benchmarks/stg',
    resolve(repoRoot, '../shared/benchmarks/stg'),
  ];
  return candidates.find((d): d is string => typeof d === 'string' && existsSync(d) && hasStg(d));
}

function hasStg(dir: string): boolean {
  return readdirSync(dir).some((f) => f.endsWith('.stg'));
}

type ParseStg = (text: string, options?: { scaleMs?: number }) => { functions: readonly FunctionSpec[] };

/** The SDK's importer when present; else a minimal reader of the same format (see the benchmarks README). */
async function loadParser(): Promise<ParseStg> {
  const path = '../sdk/src/importers/stg.js';
  try {
    const mod = (await import(path)) as { parseStg?: ParseStg };
    if (typeof mod.parseStg === 'function') return mod.parseStg;
  } catch {
    // The importer is not there yet: fall back.
  }
  return (text, options = {}) => {
    const scale = options.scaleMs ?? 1;
    // Line 1 holds N (proto files add a second number); task lines follow until the `#` comments. Proto files
    // have no dummy entry task 0, so take every task line rather than counting N + 2.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const end = lines.findIndex((l) => l.trim().startsWith('#'));
    const functions: FunctionSpec[] = [];
    for (const line of lines.slice(1, end === -1 ? lines.length : end)) {
      const [id, time, count, ...preds] = line.trim().split(/\s+/).map(Number);
      functions.push({
        id: `t${id}`,
        args: preds.slice(0, count).map((p) => `t${p}`),
        code: { kind: 'source', source: '() => null' },
        cost: { estimateMs: (time ?? 0) * scale },
      });
    }
    return { functions };
  };
}

/** Longest path of estimates (speed-1 time). */
function criticalPath(functions: readonly FunctionSpec[]): number {
  const byId = new Map(functions.map((f) => [f.id, f]));
  const memo = new Map<string, number>();
  const finish = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id)!;
    let start = 0;
    for (const a of f.args) start = Math.max(start, finish(typeof a === 'string' ? a : a[0]));
    const value = start + (f.cost?.estimateMs ?? 0);
    memo.set(id, value);
    return value;
  };
  let longest = 0;
  for (const f of functions) longest = Math.max(longest, finish(f.id));
  return longest;
}

export async function benchMakespan(): Promise<{
  name: string;
  metrics: Record<string, number>;
  summary: string;
}> {
  const name = 'makespan';
  const dir = stgDir();
  if (dir === undefined) {
    return {
      name,
      metrics: {},
      summary: 'makespan: skipped (no STG graphs found; set HANDOUT_BENCHMARKS_DIR)',
    };
  }
  const parseStg = await loadParser();
  const network = createNetworkModel({ defaultLatencyMs: 0, defaultBandwidth: Number.POSITIVE_INFINITY });
  const totalSpeed = PEERS.reduce((s, p) => s + (p.speed ?? 1), 0);
  const fastest = Math.max(...PEERS.map((p) => p.speed ?? 1));
  const metrics: Record<string, number> = {};
  const heftRatios: number[] = [];
  const lbRatios: number[] = [];
  const rows: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.stg'))
    .sort()) {
    const graph = file.replace(/\.stg$/, '');
    const { functions } = parseStg(readFileSync(join(dir, file), 'utf8'), { scaleMs: 1 });
    const work = functions.reduce((s, f) => s + (f.cost?.estimateMs ?? 0), 0);
    const bound = Math.max(criticalPath(functions) / fastest, work / totalSpeed);
    const peers = PEERS.map(({ peerId, ...caps }) => ({
      peerId,
      platform: 'node' as const,
      cores: caps.cores ?? 1,
      memoryMB: Number.POSITIVE_INFINITY,
      gpu: false,
      tags: [],
      costRate: 0,
      speed: caps.speed ?? 1,
      paused: false,
    }));
    const plan = planHeft(functions, peers, network);
    const heft = simulate(functions, PEERS, createAllocator('time-optimized', { plan }), { network });
    const lb = simulate(functions, PEERS, createAllocator('load-balanced'), { network });
    const heftRatio = heft.makespan / bound;
    const lbRatio = lb.makespan / bound;
    heftRatios.push(heftRatio);
    lbRatios.push(lbRatio);
    metrics[`${graph}.timeOptimizedRatio`] = round(heftRatio);
    metrics[`${graph}.loadBalancedRatio`] = round(lbRatio);
    metrics[`${graph}.heftPlanRatio`] = round(plan.makespan / bound);
    rows.push(
      `| ${graph} | ${functions.length} | ${round(bound)} | ${round(heftRatio)} | ${round(lbRatio)} | ${round(plan.makespan / bound)} |`,
    );
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  metrics.meanTimeOptimizedRatio = round(mean(heftRatios));
  metrics.meanLoadBalancedRatio = round(mean(lbRatios));
  metrics.graphs = heftRatios.length;
  const table = [
    '| graph | functions | lower bound | time-optimized / bound | load-balanced / bound | HEFT plan / bound |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const summary =
    `makespan on ${heftRatios.length} STG graphs, peers of speed 1,1,2,4: time-optimized ${metrics.meanTimeOptimizedRatio}× ` +
    `the lower bound on average, load-balanced ${metrics.meanLoadBalancedRatio}×\n\n${table}`;
  return { name, metrics, summary };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await benchMakespan();
  console.log(JSON.stringify({ name: result.name, metrics: result.metrics }));
  console.log(result.summary);
}
