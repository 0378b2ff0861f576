/**
 * The signaling server dies mid-run and comes back (issue 12), every part a real process over real WebRTC (run
 * inside test/netns/run.sh): `handout signal` on a fixed port, a coordinator and two peers (`handout peer`),
 * and this test process submitting through `connect()`. The signaling process is SIGKILLed while a run is in
 * flight (the node process itself, not a wrapper), and started again on the same port; a second test does the
 * same with two signaling processes over a real redis-server, killing the one the peers use.
 *
 * What must hold: the run completes with correct results (its data channels never needed signaling), every
 * peer is still used by the next run (no healthy channel dropped as "gone", no member reported left), and a
 * rerun is served from the peers' caches (the coordinator kept what they announced).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { type Role, signToken } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { freePort, startRedisServer } from '../../signaling-server/test/fixtures/redis-server.js';
import { type PeerProcess, spawnCli } from '../harness/mesh-harness.js';

const SECRET = 'signaling-restart-test';
const MESH = 'restart';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const token = (roles: readonly Role[], sub: string) =>
  signToken({ mesh: MESH, roles, sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

async function signal(port: number, extra: readonly string[] = []): Promise<PeerProcess> {
  const p = spawnCli(`signal:${port}`, [
    'signal',
    '--port',
    String(port),
    '--secret',
    SECRET,
    '--json',
    ...extra,
  ]);
  closers.push(() => p.kill());
  await p.waitFor((l) => l.event === 'listening', 30_000);
  return p;
}

function peer(id: string, urls: readonly string[], flags: readonly string[] = []): PeerProcess {
  const dir = mkdtempSync(join(tmpdir(), `handout-restart-${id}-`));
  const p = spawnCli(id, [
    'peer',
    '--signal',
    urls.join(','),
    '--token',
    token(['contribute', 'submit', 'coordinate'], id),
    '--cache-dir',
    dir,
    '--json',
    ...flags,
  ]);
  closers.push(() => {
    p.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return p;
}

/** 24 functions of ~400 ms each over 4 slots (2.4 s), then a sum of them all: small results. */
function dag(salt: number): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < 24; i++) {
    functions.push({
      id: `f${i}`,
      args: [],
      code: {
        kind: 'source',
        source: '(k) => { const end = Date.now() + 400; while (Date.now() < end) {} return k * 2; }',
      },
      extraArgs: [salt * 100 + i],
    });
    expected.set(`f${i}`, (salt * 100 + i) * 2);
    total += (salt * 100 + i) * 2;
  }
  functions.push({
    id: 'sum',
    args: functions.map((f) => f.id),
    code: { kind: 'source', source: '(...xs) => xs.reduce((a, b) => a + b, 0)' },
  });
  expected.set('sum', total);
  return { dag: { format: 'handout-dag', version: 1, functions }, expected };
}

async function joinedAll(mesh: Mesh, ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ids.every((id) => mesh.peers().some((p) => p.peerId === id))) {
    if (Date.now() > deadline) throw new Error(`members ${ids.join(', ')} did not all join`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runAndCheck(mesh: Mesh, salt: number, midRun?: () => Promise<void>) {
  const { dag: d, expected } = dag(salt);
  const run = mesh.submit(d);
  const started = new Promise<void>((resolve) => run.on('task:started', () => resolve()));
  if (midRun) {
    await started;
    await midRun();
  }
  const summary = await run.done;
  expect(summary.status).toBe('succeeded');
  const resultsStarted = performance.now();
  for (const [id, value] of expected) expect(await run.result(id)).toBe(value);
  return { summary, resultsMs: performance.now() - resultsStarted };
}

describe('signaling restarts mid-run', () => {
  it('one signaling process SIGKILLed and restarted on its port: the run completes, both peers stay in use, a rerun comes from caches', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let server = await signal(port);
    const peers = [
      peer('coord', [url], ['--coordinator', '--concurrency', '1']),
      peer('pa', [url], ['--concurrency', '2']),
      peer('pb', [url], ['--concurrency', '2']),
    ];
    const mesh = await connect({ signal: url, token: token(['submit'], 'submitter'), coordinator: 'mesh' });
    closers.push(() => mesh.close());
    await joinedAll(mesh, ['coord', 'pa', 'pb']);

    const first = await runAndCheck(mesh, 1, async () => {
      server.kill('SIGKILL');
      await server.exited;
      await new Promise((r) => setTimeout(r, 1000));
      server = await signal(port);
    });
    const used = new Set(first.summary.functions.map((f) => f.peer));
    expect([...used].filter((p) => p === 'pa' || p === 'pb').sort()).toEqual(['pa', 'pb']);

    // The next run, after everyone re-registered: both contributors still get work.
    await joinedAll(mesh, ['coord', 'pa', 'pb']);
    const second = await runAndCheck(mesh, 2);
    const usedAfter = new Set(second.summary.functions.map((f) => f.peer));
    expect(usedAfter.has('pa') && usedAfter.has('pb')).toBe(true);

    // A rerun of the first DAG is served from the peers' caches: nothing executes.
    const rerun = await runAndCheck(mesh, 1);
    expect(rerun.summary.functions.every((f) => f.cached === true)).toBe(true);
    // No peer was ever reported gone by the others.
    for (const p of peers) expect(p.lines.filter((l) => l.event === 'peer:left')).toEqual([]);
  }, 180_000);

  it('two signaling processes over Redis, the one in use SIGKILLed: peers move to the other and the run completes', async () => {
    const redis = await startRedisServer();
    closers.push(() => redis.stop());
    const [p1, p2] = [await freePort(), await freePort()];
    const urls = [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`];
    const first = await signal(p1, ['--redis', redis.url]);
    await signal(p2, ['--redis', redis.url]);
    // Everyone starts on the first process (the list's first URL).
    const peers = [
      peer('coord', urls, ['--coordinator', '--concurrency', '1']),
      peer('pa', urls, ['--concurrency', '2']),
      peer('pb', urls, ['--concurrency', '2']),
    ];
    const mesh = await connect({ signal: urls, token: token(['submit'], 'submitter'), coordinator: 'mesh' });
    closers.push(() => mesh.close());
    await joinedAll(mesh, ['coord', 'pa', 'pb']);
    const run = await runAndCheck(mesh, 3, async () => {
      first.kill('SIGKILL');
      await first.exited;
    });
    const used = new Set(run.summary.functions.map((f) => f.peer));
    expect(used.has('pa') && used.has('pb')).toBe(true);
    const again = await runAndCheck(mesh, 4);
    const usedAgain = new Set(again.summary.functions.map((f) => f.peer));
    expect(usedAgain.has('pa') && usedAgain.has('pb')).toBe(true);
    for (const p of peers) expect(p.lines.filter((l) => l.event === 'peer:left')).toEqual([]);
  }, 180_000);
});
