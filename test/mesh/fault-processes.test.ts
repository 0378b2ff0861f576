/**
 * Faults found by hand (issue 13), each replayed with real processes: a coordinator process and Node peer
 * processes (`handout peer`) over real WebRTC through a real signaling server (run inside test/netns/run.sh);
 * this test process submits through `connect()`. Each case would hang or fail without its fix.
 */
import type { DagJSON, FunctionSpec, Run } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { connect } from '../../sdk/src/connect.js';
import { closedAfterEach, startMeshHarness, until } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const source = (s: string) => ({ kind: 'source' as const, source: s });
const BUSY = `(value, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return value; }`;

/** Resolves with the run's summary, or rejects naming what was still open after `ms` (a hang, not a slow run). */
async function doneWithin(run: Run, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const open = run
        .records()
        .filter((r) => !['succeeded', 'failed', 'skipped', 'cancelled'].includes(r.status))
        .map((r) => `${r.id} (${r.status})`);
      reject(new Error(`run '${run.id}' still open after ${ms} ms: ${open.join(', ')}`));
    }, ms);
  });
  try {
    return await Promise.race([run.done, hung]);
  } finally {
    clearTimeout(timer);
  }
}

function sums(prefix: string, n: number): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    const args = i < 10 ? [] : [`${prefix}${i - 10}`, `${prefix}${(i * 7) % 10}`];
    functions.push({
      id,
      args,
      code: source(args.length === 0 ? '(k) => k' : '(a, b, k) => (a + b + k) % 1000003'),
      extraArgs: [i],
    });
    expected.set(
      id,
      args.length === 0 ? i : (expected.get(args[0]!)! + expected.get(args[1]!)! + i) % 1000003,
    );
  }
  return { dag: dagOf(functions), expected };
}

describe('faults found by hand, replayed with real processes', () => {
  const closing = closedAfterEach();

  it('failing functions pinned to a one-slot peer do not leave the others queued forever', async () => {
    const h = closing(await startMeshHarness({ mesh: 'fault-pinned' }));
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'] });
    h.spawnPeer({ id: 'p-one', flags: ['--concurrency', '1'] });
    h.spawnPeer({ id: 'p-two', flags: ['--concurrency', '2'] });
    await h.waitForMembers(['co', 'p-one', 'p-two']);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p-two');
    const mesh = closing(await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') }));
    const functions: FunctionSpec[] = [];
    for (let i = 0; i < 7; i++)
      functions.push({
        id: `bad${i}`,
        args: [],
        code: source('(i) => { throw new Error("bad " + i); }'),
        extraArgs: [i],
        node: 'p-one',
      });
    for (let i = 0; i < 4; i++)
      functions.push({
        id: `ok${i}`,
        args: [],
        code: source('(i) => i * 10'),
        extraArgs: [i],
        node: 'p-one',
      });
    const run = mesh.submit(dagOf(functions));
    const summary = await doneWithin(run, 30_000);
    for (let i = 0; i < 7; i++) {
      const r = summary.functions.find((f) => f.id === `bad${i}`)!;
      expect(r.status).toBe('failed');
      expect(r.error?.message).toContain(`bad ${i}`);
    }
    for (let i = 0; i < 4; i++) expect(await run.result(`ok${i}`)).toBe(i * 10);
  }, 90_000);

  it('an embedded coordinator with no contributing peer fails the run naming the missing contributors', async () => {
    const h = closing(await startMeshHarness({ mesh: 'fault-empty' }));
    const mesh = closing(
      await connect({
        signal: h.server.url,
        token: h.token(['submit', 'coordinate'], 'lonely'),
        coordinatorOptions: { unsatisfiableTimeoutMs: 1500 },
      }),
    );
    expect(mesh.coordinatorId()).toBe('lonely');
    const run = mesh.submit(
      dagOf([
        { id: 'a', args: [], code: source('() => 1') },
        { id: 'b', args: ['a'], code: source('(a) => a + 1') },
      ]),
    );
    const summary = await doneWithin(run, 20_000);
    expect(summary.status).toBe('failed');
    const a = summary.functions.find((r) => r.id === 'a')!;
    expect(a.status).toBe('failed');
    expect(a.error?.reason).toBe('unsatisfiable');
    expect(a.error?.message).toMatch(/no contributing peer|none connected/);
    expect(summary.functions.find((r) => r.id === 'b')!.status).toBe('skipped');
    await expect(run.result('a')).rejects.toThrow(/function 'a'/);
  }, 60_000);

  it('a coordinator restarted under the same id learns the peers caches: a rerun executes nothing', async () => {
    const h = closing(await startMeshHarness({ mesh: 'fault-restart' }));
    const coFlags = ['--coordinator'];
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: coFlags });
    // Trusted contributors: a restarted coordinator has no digests to check their announcements against, and
    // believes hashes without a receipt only from the mesh owner's own machines (docs/security.md; receipts for
    // untrusted peers: test/trust/receipts.process.test.ts).
    h.spawnPeer({ id: 'p-a', flags: ['--concurrency', '2'], trusted: true });
    h.spawnPeer({ id: 'p-b', flags: ['--concurrency', '2'], trusted: true });
    await h.waitForMembers(['co', 'p-a', 'p-b']);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p-b');
    const mesh = closing(await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') }));
    const { dag, expected } = sums('s', 60);
    const first = mesh.submit(dag);
    const firstSummary = await doneWithin(first, 60_000);
    expect(firstSummary.status).toBe('succeeded');

    const old = h.peers.get('co')!;
    const members = new Set(['co']);
    const watch = setInterval(() => {
      void h.server.peers(h.mesh).then((list) => {
        if (!list.some((p) => p.peerId === 'co')) members.clear();
      });
    }, 100);
    old.kill('SIGKILL');
    await old.exited;
    // Let every member see it go (signaling presence, then an unanswered ping on the data channel), so this case
    // tests what the peers tell the new process, not a submission on a dead channel (that is failover's case).
    await until(() => members.size === 0, 30_000, "the server drops 'co'");
    await new Promise((r) => setTimeout(r, 6000));
    clearInterval(watch);
    const again = h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: coFlags });
    await again.waitFor((l) => l.event === 'joined', 60_000);
    await h.waitForMembers(['co', 'p-a', 'p-b']);
    // The submitter sees the old coordinator leave and the new one join (signaling), then submits to it.
    await until(() => mesh.coordinatorId() === 'co', 30_000, 'the submitter sees the restarted coordinator');
    const rerun = mesh.submit(dag);
    let started = 0;
    rerun.on('task:started', () => started++);
    const summary = await doneWithin(rerun, 60_000);
    expect(
      summary.functions.filter((r) => r.status !== 'succeeded').map((r) => `${r.id}: ${r.error?.message}`),
    ).toEqual([]);
    expect(started).toBe(0);
    expect(summary.functions.filter((r) => r.cached !== true).map((r) => r.id)).toEqual([]);
    expect(await rerun.result('s59')).toBe(expected.get('s59'));
  }, 120_000);

  it('a peer stopped with SIGSTOP past the liveness window is given work again after SIGCONT', async () => {
    const h = closing(await startMeshHarness({ mesh: 'fault-sigstop' }));
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '20'] });
    h.spawnPeer({ id: 'p-a', flags: ['--concurrency', '2'] });
    const stopped = h.spawnPeer({ id: 'p-stop', flags: ['--concurrency', '2'] });
    await h.waitForMembers(['co', 'p-a', 'p-stop']);
    const co = h.peers.get('co')!;
    await co.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p-stop');
    const mesh = closing(await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') }));
    const functions: FunctionSpec[] = [];
    for (let i = 0; i < 16; i++)
      functions.push({ id: `w${i}`, args: [], code: source(`(i) => (${BUSY})(i + 1, 500)`), extraArgs: [i] });
    const run = mesh.submit(dagOf(functions));
    await new Promise<void>((resolve) => {
      const off = run.on('task:started', ({ peer }) => {
        if (peer === 'p-stop') {
          off();
          resolve();
        }
      });
    });
    stopped.kill('SIGSTOP');
    // Past the coordinator's heartbeat (5 s) and the signaling presence window (2 s here).
    await co.waitFor((l) => l.event === 'peer:lost' && l.peerId === 'p-stop', 30_000);
    const summary = await doneWithin(run, 60_000);
    expect(summary.status).toBe('succeeded');
    for (let i = 0; i < 16; i++) expect(await run.result(`w${i}`)).toBe(i + 1);
    await new Promise((r) => setTimeout(r, 20_000));
    stopped.kill('SIGCONT');
    await h.waitForMembers(['p-stop']);
    // Work only p-stop may take: it must be used again.
    const pinned: FunctionSpec[] = [];
    for (let i = 0; i < 4; i++)
      pinned.push({ id: `pin${i}`, args: [], code: source('(i) => i * 3'), extraArgs: [i], node: 'p-stop' });
    const back = mesh.submit(dagOf(pinned));
    const backSummary = await doneWithin(back, 45_000);
    expect(backSummary.functions.map((r) => `${r.id}: ${r.status} ${r.error?.message ?? ''}`.trim())).toEqual(
      pinned.map((f) => `${f.id}: succeeded`),
    );
    for (const r of backSummary.functions) expect(r.peer).toBe('p-stop');
    for (let i = 0; i < 4; i++) expect(await back.result(`pin${i}`)).toBe(i * 3);
  }, 150_000);
});
