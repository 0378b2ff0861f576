/**
 * Validation and content hashing of a 100,000-function DAG (issue 2: "validates in well under a second").
 *
 * The DAG is layered: 1,000 layers of 100 functions, each taking 1–3 inputs from the layer above, sharing four
 * source texts (as generated DAGs do) with a distinct small extraArgs per function. Each measurement is the
 * median of several runs after one warm-up; the source-check cache is warm after the first run, as it is in a
 * long-lived coordinator.
 *
 * Run: node --conditions=source --import tsx bench/validate.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { hashFunctions } from '../peer-runtime/src/dag/hash.js';
import type { FunctionSpec } from '../peer-runtime/src/dag/types.js';
import { validateDag } from '../peer-runtime/src/dag/validate.js';
import type { BenchResult } from './types.js';

const SOURCES = [
  '(...inputs) => inputs.length',
  'function sum(...xs) { let s = 0; for (const x of xs) s += typeof x === "number" ? x : 0; return s; }',
  'async (a, b, scale) => { const t = Math.sqrt(a ?? 1) * scale; return JSON.stringify({ t, b }); }',
  '(a, ...rest) => { const out = new Float64Array(4); out[0] = rest.length; return Array.from(out); }',
];

export interface ValidateBenchOptions {
  /** Number of functions. Default 100,000. */
  readonly functions?: number;
  /** Functions per layer. Default 100. */
  readonly width?: number;
  /** Timed runs (after one warm-up); the median is reported. Default 5. */
  readonly runs?: number;
}

/** A deterministic layered DAG (no randomness, so runs are comparable). */
export function layeredDag(size: number, width: number): FunctionSpec[] {
  const functions: FunctionSpec[] = [];
  for (let i = 0; i < size; i++) {
    const layer = Math.floor(i / width);
    const args: string[] = [];
    if (layer > 0) {
      const fanIn = 1 + (i % 3);
      for (let k = 0; k < fanIn; k++) args.push(`f${(layer - 1) * width + ((i * 7 + k * 13) % width)}`);
    }
    functions.push({
      id: `f${i}`,
      args: [...new Set(args)],
      code: { kind: 'source', source: SOURCES[i % SOURCES.length]! },
      extraArgs: [i % 10, { scale: 1 + (i % 5) }],
      cost: { cpu: 1, estimateMs: i % 17 },
    });
  }
  return functions;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Wall time and this process's CPU time (user + system, all threads, so GC helpers count). On a shared,
 * overloaded machine the CPU time is the steadier figure; on an idle one they are close.
 */
function time(fn: () => void): { wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  fn();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function benchValidate(options: ValidateBenchOptions = {}): Promise<BenchResult> {
  const size = options.functions ?? 100_000;
  const runs = options.runs ?? 5;
  const dag = layeredDag(size, options.width ?? 100);
  // Warm-up: JIT, and the per-source parse cache (one parse per distinct source text).
  const issues = validateDag(dag);
  if (issues.length > 0) throw new Error(`benchmark DAG is invalid: ${issues[0]!.message}`);
  hashFunctions(dag);

  const validate = Array.from({ length: runs }, () => time(() => validateDag(dag)));
  const hash = Array.from({ length: runs }, () => time(() => hashFunctions(dag)));
  const v = median(validate.map((t) => t.wall));
  const h = median(hash.map((t) => t.wall));
  const vCpu = median(validate.map((t) => t.cpu));
  const hCpu = median(hash.map((t) => t.cpu));
  return {
    name: 'validate-100k',
    metrics: {
      functions: size,
      validateMs: round(v),
      hashMs: round(h),
      validateCpuMs: round(vCpu),
      hashCpuMs: round(hCpu),
    },
    summary: `| validate + hash ${size.toLocaleString('en')} functions | validate ${v.toFixed(0)} ms (cpu ${vCpu.toFixed(0)} ms), hash ${h.toFixed(0)} ms (cpu ${hCpu.toFixed(0)} ms), median of ${runs} |`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchValidate();
  console.log(JSON.stringify(result));
  console.log(result.summary);
}
