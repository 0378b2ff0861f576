/**
 * A coordinator process and Node peer processes (`handout peer`) with unequal capabilities and prices, over real
 * WebRTC through a real signaling server (run inside test/netns/run.sh); this test process submits through
 * `connect()` as a submit-only client. One mesh is shared by the tests of this file, in order: the placement
 * tests run first (while no peer has a measured mean duration, which would skew pipelining), the SIGKILL test
 * kills a peer of its own, and the rerun test relies on the 1,000-function run's caches.
 */
import type { DagJSON, FunctionRecord, FunctionSpec, Run } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const source = (s: string) => ({ kind: 'source' as const, source: s });
/** Spends about `ms` of CPU, then returns `value`. */
const BUSY = `(value, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return value; }`;

const LAYERS = 10;
const WIDTH = 100;

/** 1,000 functions in 10 layers; each sums two inputs of the layer before plus its own constant. */
function layeredDag(): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let l = 0; l < LAYERS; l++) {
    for (let i = 0; i < WIDTH; i++) {
      const id = `l${l}-${i}`;
      const k = l * 1000 + i;
      if (l === 0) {
        functions.push({
          id,
          args: [],
          code: source('(k) => { const end = Date.now() + 2; while (Date.now() < end) {} return k; }'),
          extraArgs: [k],
        });
        expected.set(id, k);
      } else {
        const a = `l${l - 1}-${i}`;
        const b = `l${l - 1}-${(i + 1) % WIDTH}`;
        functions.push({
          id,
          args: [a, b],
          code: source(
            '(a, b, k) => { const end = Date.now() + 2; while (Date.now() < end) {} return (a + b + k) % 1000003; }',
          ),
          extraArgs: [k],
        });
        expected.set(id, (expected.get(a)! + expected.get(b)! + k) % 1000003);
      }
    }
  }
  return { dag: dagOf(functions), expected };
}

function peersOf(records: readonly FunctionRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.peer ?? '?', (counts.get(r.peer ?? '?') ?? 0) + 1);
  return counts;
}

/** A chain of `n` functions of `ms` each (one ready at a time, so each placement is the strategy's first choice). */
function chain(prefix: string, n: number, ms: number): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let i = 0; i < n; i++) {
    functions.push({
      id: `${prefix}${i}`,
      args: i === 0 ? [] : [`${prefix}${i - 1}`],
      code: source(i === 0 ? `(ms) => (${BUSY})(1, ms)` : `(x, ms) => (${BUSY})(x + 1, ms)`),
      extraArgs: [ms],
      cost: { estimateMs: ms },
    });
  }
  return dagOf(functions);
}

async function finished(run: Run) {
  const summary = await run.done;
  const failures = summary.functions
    .filter((r) => r.status !== 'succeeded')
    .map((r) => `${r.id}: ${r.status} ${r.error?.message ?? ''}`);
  return { summary, failures };
}

describe('a coordinator and Node peer processes run DAGs over WebRTC', () => {
  let h: MeshHarness;
  let mesh: Mesh;
  const first = layeredDag();

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'coordinator-test' });
    // The peers' speeds are advertised, not real (they share one machine): the placement tests need them believed.
    h.spawnPeer({
      id: 'co',
      roles: ['coordinate'],
      flags: ['--coordinator', '--wait-timeout', '3', '--believe-capabilities'],
    });
    // Unequal peers: fast and dear with two slots, cheap and slow, middling; tags differ.
    h.spawnPeer({
      id: 'p-fast',
      flags: ['--concurrency', '2', '--speed', '3', '--cost', '1', '--tags', 'eu'],
    });
    h.spawnPeer({
      id: 'p-cheap',
      flags: ['--concurrency', '1', '--speed', '1', '--cost', '0.1', '--tags', 'us'],
    });
    h.spawnPeer({
      id: 'p-mid',
      flags: ['--concurrency', '1', '--speed', '1.5', '--cost', '0.5', '--tags', 'eu'],
    });
    await h.waitForMembers(['co', 'p-fast', 'p-cheap', 'p-mid']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
    expect(mesh.coordinatorId()).toBe('co');
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('load-balanced spreads independent functions over every peer; first-available keeps a chain on one peer', async () => {
    const functions: FunctionSpec[] = [];
    for (let i = 0; i < 8; i++)
      functions.push({ id: `lb${i}`, args: [], code: source(BUSY), extraArgs: [`lb${i}`, 400] });
    const spread = await finished(mesh.submit(dagOf(functions), { strategy: 'load-balanced' }));
    expect(spread.failures).toEqual([]);
    expect([...peersOf(spread.summary.functions).keys()].sort()).toEqual(['p-cheap', 'p-fast', 'p-mid']);
    const firstAvailable = await finished(mesh.submit(chain('fa-', 4, 21), { strategy: 'first-available' }));
    expect(firstAvailable.failures).toEqual([]);
    expect(peersOf(firstAvailable.summary.functions).size).toBe(1);
  }, 60_000);

  it('cost-optimized places a chain on the cheapest peer, time-optimized on the fastest', async () => {
    const cheap = await finished(mesh.submit(chain('cost-', 4, 30), { strategy: 'cost-optimized' }));
    expect(cheap.failures).toEqual([]);
    expect([...peersOf(cheap.summary.functions).keys()]).toEqual(['p-cheap']);
    const fast = await finished(mesh.submit(chain('time-', 4, 301), { strategy: 'time-optimized' }));
    expect(fast.failures).toEqual([]);
    expect([...peersOf(fast.summary.functions).keys()]).toEqual(['p-fast']);
  }, 60_000);

  it('locality runs consumers of a large result where it already is', async () => {
    const functions: FunctionSpec[] = [
      // 4 MB of input, pinned to p-mid; its consumers are free to go anywhere.
      {
        id: 'big',
        args: [],
        code: source('(n) => new Uint8Array(n).fill(7)'),
        extraArgs: [4_000_000],
        node: 'p-mid',
      },
      { id: 'sum1', args: ['big'], code: source('(b) => b.reduce((s, x) => s + x, 0)') },
      { id: 'sum2', args: ['big', 'sum1'], code: source('(b, s) => b.length + s') },
    ];
    const run = mesh.submit(dagOf(functions), { strategy: 'locality' });
    const { summary, failures } = await finished(run);
    expect(failures).toEqual([]);
    expect(summary.functions.map((r) => [r.id, r.peer])).toEqual([
      ['big', 'p-mid'],
      ['sum1', 'p-mid'],
      ['sum2', 'p-mid'],
    ]);
    expect(await run.result('sum1')).toBe(28_000_000);
    expect(await run.result('sum2')).toBe(32_000_000);
  }, 60_000);

  it('honours pins and needs: a peer id, tags, and two cores', async () => {
    const functions: FunctionSpec[] = [
      { id: 'pinned', args: [], code: source('(x) => x'), extraArgs: ['pinned'], node: 'p-cheap' },
      { id: 'two-cores', args: [], code: source(BUSY), extraArgs: ['two-cores', 50], cost: { cpu: 2 } },
    ];
    for (let i = 0; i < 6; i++)
      functions.push({
        id: `eu${i}`,
        args: [],
        code: source(BUSY),
        extraArgs: [`eu${i}`, 100],
        node: { tags: ['eu'] },
      });
    for (let i = 0; i < 3; i++)
      functions.push({
        id: `us${i}`,
        args: [],
        code: source(BUSY),
        extraArgs: [`us${i}`, 50],
        node: { tags: ['us'] },
      });
    const { summary, failures } = await finished(
      mesh.submit(dagOf(functions), { strategy: 'load-balanced' }),
    );
    expect(failures).toEqual([]);
    const where = new Map(summary.functions.map((r) => [r.id, r.peer]));
    expect(where.get('pinned')).toBe('p-cheap');
    expect(where.get('two-cores')).toBe('p-fast');
    for (let i = 0; i < 6; i++) expect(['p-fast', 'p-mid']).toContain(where.get(`eu${i}`));
    for (let i = 0; i < 3; i++) expect(where.get(`us${i}`)).toBe('p-cheap');
  }, 60_000);

  it('a need no peer meets fails the function with an error naming it', async () => {
    const functions: FunctionSpec[] = [
      { id: 'fine', args: [], code: source('(x) => x'), extraArgs: ['fine'] },
      { id: 'needs-asia', args: [], code: source('(x) => x'), extraArgs: ['asia'], node: { tags: ['asia'] } },
    ];
    const run = mesh.submit(dagOf(functions));
    const { summary } = await finished(run);
    expect(summary.status).toBe('failed');
    const failed = summary.functions.find((r) => r.id === 'needs-asia')!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.reason).toBe('unsatisfiable');
    expect(failed.error?.message).toMatch(/tag 'asia'/);
    expect(summary.functions.find((r) => r.id === 'fine')!.status).toBe('succeeded');
    await expect(run.result('needs-asia')).rejects.toThrow(/tag 'asia'/);
  }, 30_000);

  it('a peer killed with SIGKILL mid-run: the run completes with correct results and the records show the re-runs', async () => {
    const victim = h.spawnPeer({
      id: 'p-victim',
      flags: ['--concurrency', '2', '--speed', '3', '--cost', '0'],
    });
    await h.waitForMembers(['p-victim']);
    // The coordinator must know the victim before the run starts, or it never gets work.
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p-victim');
    const functions: FunctionSpec[] = [];
    for (let i = 0; i < 30; i++)
      functions.push({
        id: `k${i}`,
        args: [],
        code: source(`(i, ms) => (${BUSY})(i * 2, ms)`),
        extraArgs: [i, 300],
      });
    functions.push({
      id: 'total',
      args: functions.map((f) => f.id),
      code: source('(...xs) => xs.slice(0, 30).reduce((s, x) => s + x, 0)'),
    });
    const run = mesh.submit(dagOf(functions), { strategy: 'load-balanced' });
    const victimStarted = await Promise.race([
      new Promise<boolean>((resolve) => {
        const off = run.on('task:started', ({ peer }) => {
          if (peer === 'p-victim') {
            off();
            resolve(true);
          }
        });
      }),
      run.done.then(() => false),
    ]);
    expect(victimStarted, 'the victim was given work before the run ended').toBe(true);
    victim.kill('SIGKILL');
    const { summary, failures } = await finished(run);
    expect(failures).toEqual([]);
    expect(await run.result('total')).toBe(2 * ((29 * 30) / 2));
    const rerun = summary.functions.filter((r) =>
      r.history.some((a) => a.peer === 'p-victim' && a.error !== undefined),
    );
    expect(rerun.length).toBeGreaterThan(0);
    for (const r of rerun) {
      expect(r.peer).not.toBe('p-victim');
      expect(r.history.length).toBeGreaterThan(1);
    }
  }, 90_000);
  it('a peer stopped with SIGTERM mid-run hands its unfinished work back and exits 0; the run completes', async () => {
    const leaver = h.spawnPeer({
      id: 'p-leaver',
      flags: ['--concurrency', '1', '--speed', '3', '--grace', '0'],
    });
    await h.waitForMembers(['p-leaver']);
    await leaver.waitFor((l) => l.event === 'joined');
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p-leaver');
    const functions: FunctionSpec[] = [];
    for (let i = 0; i < 20; i++)
      functions.push({
        id: `t${i}`,
        args: [],
        code: source(`(i, ms) => (${BUSY})(i * 3, ms)`),
        extraArgs: [i, 250],
      });
    const run = mesh.submit(dagOf(functions), { strategy: 'load-balanced' });
    const leaverStarted = await Promise.race([
      new Promise<boolean>((resolve) => {
        const off = run.on('task:started', ({ peer }) => {
          if (peer === 'p-leaver') {
            off();
            resolve(true);
          }
        });
      }),
      run.done.then(() => false),
    ]);
    expect(leaverStarted, 'the leaving peer was given work before the run ended').toBe(true);
    leaver.kill('SIGTERM');
    expect(await leaver.exited).toBe(0);
    const leaving = await leaver.waitFor((l) => l.event === 'leaving');
    const { summary, failures } = await finished(run);
    expect(failures).toEqual([]);
    for (let i = 0; i < 20; i++) expect(await run.result(`t${i}`)).toBe(i * 3);
    // What it had not finished when it left ran elsewhere.
    const handedBack = summary.functions.filter((r) =>
      r.history.some((a) => a.peer === 'p-leaver' && a.error !== undefined),
    );
    if (Number(leaving.assigned) > 0) expect(handedBack.length).toBeGreaterThan(0);
    for (const r of handedBack) expect(r.peer).not.toBe('p-leaver');
  }, 90_000);

  it('runs a 1,000-function DAG with correct results, and every peer runs some of it', async () => {
    const run = mesh.submit(first.dag, { strategy: 'load-balanced' });
    const { summary, failures } = await finished(run);
    expect(failures).toEqual([]);
    for (const l of [LAYERS - 1]) {
      for (let i = 0; i < WIDTH; i++)
        expect(await run.result(`l${l}-${i}`)).toBe(first.expected.get(`l${l}-${i}`));
    }
    expect(await run.result('l3-7')).toBe(first.expected.get('l3-7'));
    const counts = peersOf(summary.functions);
    expect([...counts.keys()].sort()).toEqual(['p-cheap', 'p-fast', 'p-mid']);
    expect(summary.functions.every((r) => r.cached !== true)).toBe(true);
  }, 120_000);

  it('a rerun executes no function: every result comes from the peers caches', async () => {
    const run = mesh.submit(first.dag, { strategy: 'load-balanced' });
    let started = 0;
    run.on('task:started', () => started++);
    const { summary, failures } = await finished(run);
    expect(failures).toEqual([]);
    expect(started).toBe(0);
    expect(summary.functions.every((r) => r.cached === true)).toBe(true);
    expect(await run.result(`l${LAYERS - 1}-5`)).toBe(first.expected.get(`l${LAYERS - 1}-5`));
  }, 60_000);
});
