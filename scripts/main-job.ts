/**
 * The main job (`pnpm start`, after scripts/start.mjs installed what it needs): a whole Handout mesh on this
 * machine. It builds the demo page, starts the signaling server serving it, starts two headless Node peers and a
 * coordinator as real processes, runs the showcase DAG (a Mandelbrot image in tiles) on the mesh from the SDK,
 * prints a summary, and prints the URLs a person opens to join with a browser or watch the dashboard. It keeps
 * the mesh up until Ctrl-C, then shuts everything down.
 *
 * Settings: HANDOUT_PORT (default 8080; 0 = any free port), HANDOUT_HOST (default 127.0.0.1),
 * HANDOUT_EXIT_AFTER_RUN=1 exits after the summary instead of waiting for Ctrl-C (used by the smoke test).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionRecord } from '@handout/peer-runtime';
import { connect } from '@handout/sdk';
import { createSignalingServer } from '@handout/signaling-server';
import { type MandelbrotImage, mandelbrotDag } from '../demo/src/mandelbrot/mandelbrot-dag.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'cli/src/main.ts');
const port = Number(process.env.HANDOUT_PORT ?? 8080);
const host = process.env.HANDOUT_HOST ?? '127.0.0.1';
const say = (line: string): void => console.log(line);
/** Peer processes started so far: killed on any exit path, so nothing outlives the main job. */
const children: ChildProcess[] = [];

function buildDemo(): void {
  say('· building the demo page (Vite)');
  const r = spawnSync('pnpm', ['--filter', '@handout/demo', 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) throw new Error('the demo build failed (see above)');
}

/** A `handout peer` process whose log lines are prefixed with its name. */
/** A `handout peer` process; its token travels in HANDOUT_TOKEN, never on the command line (`ps` shows that). */
function startPeer(name: string, token: string, args: readonly string[], cacheRoot: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', cli, 'peer', ...args, '--cache-dir', join(cacheRoot, name)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HANDOUT_TOKEN: token } },
  );
  const prefix = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) console.log(`  [${name}] ${line}`);
  };
  child.stdout?.on('data', prefix);
  child.stderr?.on('data', prefix);
  return child;
}

/** Renders the image as coloured blocks in the terminal: each character cell shows two averaged pixel blocks. */
function terminalPreview(image: MandelbrotImage, columns = 48): string {
  const block = Math.max(1, Math.floor(image.width / columns));
  const average = (x0: number, y0: number): string => {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let y = y0; y < y0 + block; y++) {
      for (let x = x0; x < x0 + block; x++) {
        const i = (y * image.width + x) * 4;
        r += image.pixels[i] ?? 0;
        g += image.pixels[i + 1] ?? 0;
        b += image.pixels[i + 2] ?? 0;
      }
    }
    const n = block * block;
    return `${Math.round(r / n)};${Math.round(g / n)};${Math.round(b / n)}`;
  };
  const rows: string[] = [];
  for (let y = 0; y + 2 * block <= image.height; y += 2 * block) {
    let line = '';
    for (let x = 0; x + block <= image.width; x += block) {
      line += `\x1b[38;2;${average(x, y)}m\x1b[48;2;${average(x, y + block)}m▀`;
    }
    rows.push(`${line}\x1b[0m`);
  }
  return rows.join('\n');
}

function perPeer(records: readonly FunctionRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) if (r.peer && !r.cached) counts.set(r.peer, (counts.get(r.peer) ?? 0) + 1);
  return [...counts.entries()].map(([peer, n]) => `${peer}: ${n}`).join(', ') || 'none (all from caches)';
}

async function main(): Promise<void> {
  buildDemo();
  const server = await createSignalingServer({ port, host, staticDir: join(root, 'demo/dist') });
  const mesh = 'default';
  // A coordinate token must be bound to its peer id (sub).
  const token = (roles: ('contribute' | 'submit' | 'coordinate')[], sub?: string): string =>
    server.issueToken({ mesh, roles, ttlSeconds: 24 * 3600, ...(sub !== undefined && { sub }) });
  say(`· signaling server at ${server.url}`);

  const cacheRoot = mkdtempSync(join(tmpdir(), 'handout-start-'));
  children.push(
    startPeer(
      'coordinator',
      token(['coordinate'], 'coordinator'),
      ['--signal', server.url, '--coordinator'],
      cacheRoot,
    ),
    startPeer('peer-1', token(['contribute']), ['--signal', server.url, '--concurrency', '1'], cacheRoot),
    startPeer('peer-2', token(['contribute']), ['--signal', server.url, '--concurrency', '1'], cacheRoot),
  );

  let closing = false;
  const shutdown = async (code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    say('\n· shutting down: peers leave the mesh, then the server stops');
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
          }),
      ),
    );
    await server.close();
    rmSync(cacheRoot, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const client = await connect({ signal: server.url, token: token(['submit']), coordinator: 'mesh' });
  const deadline = Date.now() + 60_000;
  while (client.peers().filter((p) => p.roles.includes('contribute')).length < 2 || !client.coordinatorId()) {
    if (Date.now() > deadline) throw new Error('the peers did not join within 60 s (see their logs above)');
    await new Promise((r) => setTimeout(r, 200));
  }
  say(
    `· mesh ready: ${client
      .peers()
      .map((p) => `${p.peerId} (${p.roles.join('+')})`)
      .join(', ')}`,
  );

  const dag = mandelbrotDag({ size: 384, tiles: 6, maxIter: 600 });
  say(`· running the showcase: a Mandelbrot image in ${dag.functions.length} functions`);
  const started = Date.now();
  const run = client.submit(dag, { strategy: 'load-balanced' });
  let finished = 0;
  run.on('task:succeeded', () => {
    finished += 1;
    if (finished % 10 === 0) say(`  ${finished}/${dag.functions.length} functions done`);
  });
  const summary = await run.done;
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  say(`· run ${summary.status} in ${seconds} s; functions per peer: ${perPeer(summary.functions)}`);
  if (summary.status === 'succeeded') {
    const image = (await run.result('image')) as MandelbrotImage;
    say(
      `· the image (${image.width}×${image.height}, ${image.pixels.length} bytes) was assembled on the mesh`,
    );
    if (process.stdout.isTTY) say(terminalPreview(image));
  } else {
    for (const r of summary.functions) if (r.status === 'failed') say(`  ${r.id}: ${r.error?.message}`);
  }

  const browserToken = token(['contribute']);
  const dashboardToken = token(['submit']);
  const q = (t: string): string => `signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(t)}`;
  say('\nOpen these in a browser on this machine:');
  say(`  give compute:  ${server.url}/contribute.html?${q(browserToken)}`);
  say(`  dashboard:     ${server.url}/dashboard.html?${q(dashboardToken)}`);
  await client.close();
  if (process.env.HANDOUT_EXIT_AFTER_RUN === '1') return shutdown(summary.status === 'succeeded' ? 0 : 1);
  say('\nThe mesh stays up; Ctrl-C stops it.');
}

main().catch((error: unknown) => {
  console.error(`handout start: ${error instanceof Error ? error.message : String(error)}`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
