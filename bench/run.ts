/**
 * `pnpm bench`: runs every benchmark in one process, one after another (never in parallel: they compete for the
 * two cores), writes the JSON of each to bench/results/<name>.json and prints a Markdown summary.
 *
 * `pnpm bench <name...>` runs only the named ones (module names below, e.g. `pnpm bench transport mesh`).
 * `pnpm bench mesh --verify 2` runs the mesh benchmark with every run verified (verifyFlag below).
 * Benchmarks that open WebRTC connections must run inside the network namespace: `pnpm bench` re-executes itself
 * there (test/netns/run.sh) unless HANDOUT_NETNS is already set.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each benchmark module and the function it exports. Loaded lazily so a filter does not load the others. */
const BENCHMARKS: Record<string, () => Promise<BenchResult | BenchResult[]>> = {
  cli: async () => (await import('./cli.bench.js')).benchCli(),
  validate: async () => (await import('./validate.bench.js')).benchValidate(),
  protocol: async () => (await import('./protocol.bench.js')).benchProtocol(),
  // No-op throughput against Piscina, then the same at 0, 0.25, 1 and 10 ms functions, warm and cold (issue 16).
  'local-throughput': async () => [
    await (await import('./local-throughput.bench.js')).benchLocalThroughput(),
    await (await import('./local-sizes.js')).benchLocalSizes(),
  ],
  store: async () => (await import('./store.bench.js')).benchStore(),
  makespan: async () => (await import('./makespan.bench.js')).benchMakespan(),
  transport: async () => (await import('./transport.bench.js')).benchTransport(),
  interleave: async () => (await import('./interleave.bench.js')).benchInterleave(),
  mesh: async () => (await import('./mesh.bench.js')).benchMesh(),
  growth: async () => (await import('./growth.bench.js')).benchGrowth(),
  // Heap retained per function by an in-process mesh run (each size in a `node --expose-gc` child of its own).
  memory: async () => (await import('./memory-per-function.js')).benchMemory(),
  // CPU cost of the compact location and digest forms (packed bytes) against the objects they replaced.
  'packed-bytes': async () => (await import('./packed-bytes.bench.js')).benchPackedBytes(),
  'signaling-load': async () => (await import('./signaling-load.bench.js')).benchSignalingLoad(),
  failover: async () => (await import('./failover.bench.js')).benchFailover(),
  verify: async () => (await import('./verify.bench.js')).benchVerify(),
  wfcommons: async () => (await import('./wfcommons.bench.js')).benchWfCommons(),
  browser: async () => (await import('./browser.bench.js')).benchBrowser(),
};

/**
 * `--verify <k>`: the mesh benchmark submits every run with `verify: { replicas: k }`, as `handout run --verify k`
 * does (the default adaptive policy: spot checks once a peer has a clean streak), to measure what verification
 * costs against a run without it in the same sitting. Passed to the benchmark as MESH_BENCH_VERIFY; returns the
 * other arguments (the benchmark names).
 */
function verifyFlag(args: readonly string[]): string[] {
  const at = args.indexOf('--verify');
  if (at < 0) return [...args];
  const k = Number(args[at + 1]);
  if (!Number.isInteger(k) || k < 1 || k > 16) {
    console.error(`bench: --verify must be an integer from 1 to 16, got ${JSON.stringify(args[at + 1])}`);
    process.exit(2);
  }
  process.env.MESH_BENCH_VERIFY = String(k);
  return args.filter((_, i) => i !== at && i !== at + 1);
}

async function main(): Promise<void> {
  if (!process.env.HANDOUT_NETNS && process.env.HANDOUT_BENCH_NO_NETNS !== '1') {
    const r = spawnSync(
      'bash',
      [join(root, 'test/netns/run.sh'), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      {
        stdio: 'inherit',
      },
    );
    process.exit(r.status ?? 1);
  }
  const wanted = verifyFlag(process.argv.slice(2));
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`,
    );
    process.exit(2);
  }
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const lines: string[] = [];
  for (const name of names) {
    console.error(`bench: ${name} ...`);
    const started = Date.now();
    const results = [await BENCHMARKS[name]!()].flat();
    for (const result of results) {
      writeFileSync(join(outDir, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      lines.push(`- **${result.name}**: ${result.summary}`);
    }
    console.error(`bench: ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(`\n## Handout benchmarks (${new Date().toISOString()})\n\n${lines.join('\n')}`);
}

await main();
