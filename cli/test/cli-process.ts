/** Runs the real `handout` CLI as a child process, the way a user does (`node --conditions=source --import tsx`). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const mainTs = join(repoRoot, 'cli/src/main.ts');
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
// An absolute URL, because `--import tsx` would otherwise resolve from the child's cwd (a temp dir in some tests).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  /** Added to a clean environment (no HANDOUT_* variables leak in from the test runner's). */
  readonly env?: Record<string, string>;
  /** Called with the live child once it is spawned (e.g. to send SIGINT). */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess, output: { stderr(): string }) => void;
  /** Node flags added before the CLI's own (e.g. `--import` of a module-recording hook). */
  readonly nodeArgs?: readonly string[];
}

export function handout(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('HANDOUT_')) env[k] = v;
  Object.assign(env, options.env);
  const nodeArgs = ['--conditions=source', '--import', tsxLoader, ...(options.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, mainTs, ...args], {
    cwd: options.cwd ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  options.onSpawn?.(child, { stderr: () => stderr });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** A temp directory with the given files; remove it with the returned `cleanup`. */
export function tempDir(files: Record<string, string> = {}): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'handout-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
