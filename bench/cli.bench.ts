/**
 * Start-up of the built `handout` CLI (issue 14: "`handout --version` and `handout validate` of a small DAG in
 * under 250 ms wall on this machine"), against `node -e 0` in the same sitting.
 *
 * Measured like hyperfine: each command is a fresh `node` process, timed from spawn to exit; a few warm-up runs
 * (the file cache) are discarded; then the commands are run in turns (node, --version, validate, validate, ...)
 * rather than one after another, so that load from other processes on this shared two-core machine falls on all
 * of them alike. Reported: median, mean, standard deviation and minimum of each, and each command's median
 * less node's (what the CLI itself costs).
 *
 * It builds the four packages first (tsc, as their `build` scripts do; the demo pages are not needed), so the
 * figures are those of the current sources.
 *
 * Run: pnpm bench cli   (or node --conditions=source --import tsx bench/cli.bench.ts)
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'cli/dist/main.js');

export interface CliBenchOptions {
  /** Timed runs of each command. Default 30. */
  readonly runs?: number;
  /** Discarded runs of each command first. Default 3. */
  readonly warmup?: number;
}

interface Command {
  readonly key: string;
  readonly label: string;
  readonly args: readonly string[];
}

const COMMANDS: readonly Command[] = [
  { key: 'node', label: 'node -e 0', args: ['-e', '0'] },
  { key: 'version', label: 'handout --version', args: [main, '--version'] },
  {
    key: 'validate',
    label: 'handout validate examples/hello.dag.mjs',
    args: [main, 'validate', 'examples/hello.dag.mjs'],
  },
  {
    // A DAG file that imports the whole SDK (builder, runLocal, connect) rather than exporting plain specs.
    key: 'validateSdk',
    label: "handout validate (a DAG importing '@handout/sdk')",
    args: [main, 'validate', 'bench/fixtures/sdk-import.dag.mjs'],
  },
];

function build(): void {
  for (const pkg of ['peer-runtime', 'sdk', 'signaling-server', 'cli']) {
    const r = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', `${pkg}/tsconfig.build.json`],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`bench cli: building ${pkg} failed:\n${r.stdout}${r.stderr}`);
  }
}

/** Wall milliseconds of one run; throws when the command fails (a broken CLI must not look fast). */
function timeOnce(command: Command): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, command.args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`bench cli: '${command.label}' exited ${r.status}: ${r.stderr}`);
  return ms;
}

interface Stats {
  readonly median: number;
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
}

function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length - 1));
  const mid = s.length / 2;
  const median = s.length % 2 === 1 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, mean, sd, min: s[0]! };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function benchCli(options: CliBenchOptions = {}): Promise<BenchResult> {
  const runs = options.runs ?? 30;
  const warmup = options.warmup ?? 3;
  build();
  for (let i = 0; i < warmup; i++) for (const c of COMMANDS) timeOnce(c);
  const samples = new Map<string, number[]>(COMMANDS.map((c) => [c.key, []]));
  for (let i = 0; i < runs; i++) for (const c of COMMANDS) samples.get(c.key)!.push(timeOnce(c));

  const byKey = new Map(COMMANDS.map((c) => [c.key, stats(samples.get(c.key)!)]));
  const node = byKey.get('node')!;
  const metrics: Record<string, number> = { runs };
  const rows: string[] = [];
  for (const c of COMMANDS) {
    const s = byKey.get(c.key)!;
    metrics[`${c.key}MedianMs`] = round(s.median);
    metrics[`${c.key}MeanMs`] = round(s.mean);
    metrics[`${c.key}SdMs`] = round(s.sd);
    metrics[`${c.key}MinMs`] = round(s.min);
    if (c.key !== 'node') metrics[`${c.key}OverNodeMs`] = round(s.median - node.median);
    rows.push(
      `${c.label}: median ${s.median.toFixed(0)} ms (mean ${s.mean.toFixed(0)} ± ${s.sd.toFixed(0)}, min ${s.min.toFixed(0)})`,
    );
  }
  return {
    name: 'cli-startup',
    metrics,
    summary: `| CLI start-up, ${runs} runs each, interleaved | ${rows.join('; ')} |`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchCli();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
}
