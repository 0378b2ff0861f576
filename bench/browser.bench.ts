/**
 * Browsers on the mesh (issue 16, goal 7): how a Chromium contribute tab compares, per worker slot, with a
 * single-slot Node peer on the same mesh, in the same sitting.
 *
 * Mesh: a signaling server serving the built demo (demo/dist, built here with Vite when missing or when
 * BENCH_BROWSER_REBUILD=1), one `handout peer --concurrency 1` process, one Chromium tab on the contribute page
 * (its default slots: cores − 1, so 1 on a 2-core machine), and a coordinator embedded in this process. After a
 * warm-up pinned to each peer, the same batch of independent no-ops (BENCH_BROWSER_FUNCTIONS, default 2,000) is
 * pinned first to the tab, then to the Node peer. Reported per peer: functions per second per slot over the
 * execution span (first start to last end in the records, so channel set-up and submission are not counted) and
 * over the whole run; the ratio Node / tab (goal: ≤ 2). Every result is checked.
 *
 * Run inside the network namespace (Chromium needs its veth route for ICE candidates):
 * bash test/netns/run.sh node --conditions=source --import tsx bench/browser.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DagJSON, FunctionSpec, RunSummary } from '../peer-runtime/src/index.js';
import { connect, type Mesh } from '../sdk/src/connect.js';
import { createSignalingServer, type SignalingServer } from '../signaling-server/src/index.js';
import { ContributePage } from '../test/e2e/pages/contribute-page.js';
import { launchChromium, openPage } from '../test/e2e/support/browser.js';
import { demoDir, demoDist } from '../test/e2e/support/paths.js';
import { type PeerProcess, spawnCli } from '../test/harness/mesh-harness.js';
import type { BenchResult } from './types.js';

const MESH = 'bench-browser';
const NODE_PEER = 'bench-node';

function buildDemo(): void {
  if (existsSync(join(demoDist, 'contribute.html')) && process.env.BENCH_BROWSER_REBUILD !== '1') return;
  const vite = join(demoDir, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build'], {
    cwd: demoDir,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' },
    timeout: 300_000,
  });
  if (r.status !== 0)
    throw new Error(`browser bench: the demo build failed:\n${(r.stderr ?? '').slice(-2000)}`);
}

function noops(prefix: string, n: number, node: string): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let i = 0; i < n; i++)
    functions.push({
      id: `${prefix}-${i}`,
      args: [],
      // The prefix is an argument too: the same function with the same arguments would be served from the cache.
      code: { kind: 'source', source: '(k, _prefix) => k + 1' },
      extraArgs: [i, prefix],
      node,
    });
  return { format: 'handout-dag', version: 1, functions };
}

async function waitForMember(server: SignalingServer, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await server.peers(MESH)).some((p) => p.peerId === id)) {
    if (Date.now() > deadline) throw new Error(`browser bench: peer '${id}' did not join within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Measured {
  readonly spanPerSecond: number;
  readonly wallPerSecond: number;
}

async function measure(mesh: Mesh, prefix: string, n: number, node: string): Promise<Measured> {
  const dag = noops(prefix, n, node);
  const started = performance.now();
  const run = mesh.submit(dag);
  const summary: RunSummary = await run.done;
  const wallMs = performance.now() - started;
  const bad = summary.functions.find((r) => r.status !== 'succeeded' || r.peer !== node);
  if (summary.status !== 'succeeded' || bad) {
    throw new Error(
      `browser bench ${prefix}: '${bad?.id}' ${bad?.status} on ${bad?.peer}: ${bad?.error?.message}`,
    );
  }
  // Results are tiny, so they ride inline with their completions: checking them all costs no channels.
  for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 50))) {
    const value = await run.result(`${prefix}-${i}`);
    if (value !== i + 1)
      throw new Error(`browser bench ${prefix}-${i}: got ${String(value)}, expected ${i + 1}`);
  }
  const starts = summary.functions.map((r) => r.startedAt ?? Number.POSITIVE_INFINITY);
  const ends = summary.functions.map((r) => r.endedAt ?? 0);
  const spanMs = Math.max(...ends) - Math.min(...starts);
  return { spanPerSecond: n / (spanMs / 1000), wallPerSecond: n / (wallMs / 1000) };
}

export async function benchBrowser(): Promise<BenchResult> {
  buildDemo();
  const n = Number(process.env.BENCH_BROWSER_FUNCTIONS ?? 2000);
  const server: SignalingServer = await createSignalingServer({
    port: 0,
    host: '127.0.0.1',
    staticDir: demoDist,
  });
  const token = (roles: Array<'contribute' | 'submit' | 'coordinate'>, sub?: string): string =>
    server.issueToken({ mesh: MESH, roles, ttlSeconds: 3600, ...(sub ? { sub } : {}) });
  const cacheDir = mkdtempSync(join(tmpdir(), 'handout-bench-browser-'));
  let nodePeer: PeerProcess | undefined;
  const browser = await launchChromium();
  try {
    nodePeer = spawnCli(NODE_PEER, [
      'peer',
      '--signal',
      server.url,
      '--token',
      token(['contribute'], NODE_PEER),
      '--concurrency',
      '1',
      '--cache-dir',
      cacheDir,
      '--json',
    ]);
    const context = await browser.newContext();
    const { page } = await openPage(context);
    const tab = new ContributePage(page, server.url);
    await tab.open(
      `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token(['contribute']))}`,
    );
    const tabId = await tab.waitForJoin(undefined, 60_000);
    const tabSlots = Number(await page.locator('#cores').inputValue());
    await waitForMember(server, NODE_PEER);
    const mesh = await connect({
      signal: server.url,
      token: token(['submit', 'coordinate'], 'bench-browser-coordinator'),
      coordinator: 'embedded',
    });
    try {
      // Warm-up: opens both channels, compiles the code on both sides, lets the tab's workers start.
      await measure(mesh, 'warm-tab', 200, tabId);
      await measure(mesh, 'warm-node', 200, NODE_PEER);
      const onTab = await measure(mesh, 'tab', n, tabId);
      const onNode = await measure(mesh, 'node', n, NODE_PEER);
      const metrics = {
        functions: n,
        tabSlots,
        tabSpanPerSecondPerSlot: onTab.spanPerSecond / tabSlots,
        tabWallPerSecond: onTab.wallPerSecond,
        nodeSpanPerSecondPerSlot: onNode.spanPerSecond,
        nodeWallPerSecond: onNode.wallPerSecond,
        nodeToTabPerSlotRatio: onNode.spanPerSecond / (onTab.spanPerSecond / tabSlots),
      };
      return {
        name: 'browser',
        metrics,
        summary:
          `browser: ${n} no-ops, Chromium tab (${tabSlots} slot${tabSlots === 1 ? '' : 's'}) ` +
          `${metrics.tabSpanPerSecondPerSlot.toFixed(0)}/s per slot vs single-slot Node peer ` +
          `${metrics.nodeSpanPerSecondPerSlot.toFixed(0)}/s (Node/tab ${metrics.nodeToTabPerSlotRatio.toFixed(2)}×; ` +
          `goal ≤ 2×); whole runs ${onTab.wallPerSecond.toFixed(0)}/s vs ${onNode.wallPerSecond.toFixed(0)}/s`,
      };
    } finally {
      await mesh.close();
    }
  } finally {
    await browser.close();
    nodePeer?.kill('SIGKILL');
    await nodePeer?.exited;
    await server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchBrowser(), null, 2));
}
