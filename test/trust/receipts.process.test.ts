/**
 * Cache receipts and the persisted trust ledger across a coordinator restart, with real processes over real
 * WebRTC (run inside test/netns/run.sh): a coordinator process (`handout peer --coordinator`, its cache directory
 * kept across the restart), two honest `handout peer` processes with untrusted tokens, a lying contributor whose
 * pool forges every value (test/fixtures/liar-peer.ts), and a lying cache holder (fixtures/receipt-liar.ts) that
 * announces hashes it never computed, with a forged receipt or with none. This test process submits through
 * `connect()`.
 *
 * What must hold after the coordinator is SIGKILLed and started again with the same configuration:
 * - the honest peers' results are served from their caches (their receipts check), verified ones to verified runs;
 * - the lying holder's claims are not: its functions are computed on honest peers, a forged receipt is refused
 *   and logged naming it;
 * - the liar quarantined before the restart is still quarantined (the ledger file), so it gets no work even in
 *   a run without verification, where it would otherwise forge values.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, Run } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFunctions } from '../../peer-runtime/src/dag/hash.js';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const source = (s: string) => ({ kind: 'source' as const, source: s });
const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const honest = { tags: ['honest'] };

/** Two layers of 6 (small, inline results), for the verified run that catches the forging liar. */
function layered(): { functions: FunctionSpec[]; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let l = 0; l < 2; l++)
    for (let i = 0; i < 6; i++) {
      const id = `v${l}-${i}`;
      const k = l * 100 + i;
      if (l === 0) {
        functions.push({ id, args: [], code: source('(k) => k * k'), extraArgs: [k] });
        expected.set(id, k * k);
      } else {
        const a = `v0-${i}`;
        const b = `v0-${(i + 1) % 6}`;
        functions.push({ id, args: [a, b], code: source('(a, b, k) => a + b + k'), extraArgs: [k] });
        expected.set(id, expected.get(a)! + expected.get(b)! + k);
      }
    }
  return { functions, expected };
}

/** 30 kB: too large to ride inline, so after the restart only its holders' caches can provide it. */
const big: FunctionSpec = { id: 'big', args: [], code: source("() => 'b'.repeat(30000)"), node: honest };
const small: FunctionSpec = { id: 'small', args: [], code: source('(k) => k * 7'), extraArgs: [6] };
const claimForged: FunctionSpec = {
  id: 'claim-forged',
  args: [],
  code: source("(k) => 'real ' + k"),
  extraArgs: ['x'],
  node: honest,
};
const claimBare: FunctionSpec = { ...claimForged, id: 'claim-bare', extraArgs: ['y'] };
/** Unpinned work a believed liar (64 slots claimed) would take a share of, and forge. */
const spread: FunctionSpec[] = Array.from({ length: 8 }, (_, k) => ({
  id: `spread-${k}`,
  args: [],
  code: source('(k) => k * 3'),
  extraArgs: [k],
}));

async function results(run: Run, ids: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const id of ids) out[id] = await run.result(id);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a coordinator restarted with the same configuration', () => {
  let h: MeshHarness;
  let mesh: Mesh | undefined;
  const dirs = { co: '', h1: '', h2: '' };
  const hashes = hashFunctions([big, small, claimForged, claimBare]);

  const spawnCoordinator = () =>
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'], cacheDir: dirs.co });
  const connectSubmitter = async () => {
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
    const deadline = Date.now() + 30_000;
    while (mesh.coordinatorId() !== 'co') {
      if (Date.now() > deadline) throw new Error(`no coordinator for the submitter\n${h.logs()}`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[])
      dirs[k] = mkdtempSync(join(tmpdir(), `handout-receipts-${k}-`));
    h = await startMeshHarness({ mesh: 'receipts-test' });
    spawnCoordinator();
    for (const id of ['h1', 'h2'] as const)
      h.spawnPeer({
        id,
        cacheDir: dirs[id],
        flags: ['--concurrency', '1', '--speed', '1', '--tags', 'honest'],
      });
    h.spawnFixture({ id: 'liar', script: 'test/fixtures/liar-peer.ts' });
    h.spawnFixture({
      id: 'rliar',
      script: 'test/trust/fixtures/receipt-liar.ts',
      env: {
        HANDOUT_RECEIPT_LIAR: JSON.stringify({
          self: 'rliar',
          forged: [hashes.get('claim-forged'), hashes.get('big')],
          bare: [hashes.get('claim-bare')],
        }),
      },
    });
    await h.waitForMembers(['co', 'h1', 'h2', 'liar', 'rliar']);
    await connectSubmitter();
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
    for (const d of Object.values(dirs)) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('serves from cache only what its receipts back, refuses forged receipts, and keeps the liar quarantined', async () => {
    // 1. A verified run catches the forging liar; its quarantine reaches the ledger file.
    const { functions, expected } = layered();
    const verified = await mesh!.submit(dagOf(functions), { verify: { replicas: 2, trustAfter: 1000 } }).done;
    expect(verified.status, h.logs()).toBe('succeeded');
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:quarantined' && l.peerId === 'liar', 30_000);
    const ledgerFile = join(dirs.co, 'trust-ledger.json');
    await expect
      .poll(() => (existsSync(ledgerFile) ? JSON.parse(readFileSync(ledgerFile, 'utf8')) : {}), {
        timeout: 10_000,
      })
      .toMatchObject({ records: { liar: { quarantinedAt: expect.any(Number) } } });

    // 2. An unverified run on the honest peers: their caches now hold receipts for big and small.
    const first = mesh!.submit(dagOf([big, small]));
    expect((await first.done).status).toBe('succeeded');
    const receiptsOf = (id: 'h1' | 'h2') => {
      const f = join(dirs[id], 'receipts.jsonl');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    };
    await expect
      .poll(() => receiptsOf('h1') + receiptsOf('h2'), { timeout: 10_000 })
      .toContain(hashes.get('big')!);

    // 3. The coordinator dies and comes back with the same cache directory (and the same signaling server).
    await mesh!.close();
    mesh = undefined;
    h.peers.get('co')!.kill('SIGKILL');
    await h.peers.get('co')!.exited;
    const deadline = Date.now() + 30_000;
    while ((await h.server.peers(h.mesh)).some((p) => p.peerId === 'co')) {
      if (Date.now() > deadline) throw new Error('the killed coordinator stays listed');
      await sleep(100);
    }
    const co = spawnCoordinator();
    await co.waitFor((l) => l.event === 'joined', 60_000);
    await connectSubmitter();

    // 4. Honest receipts count; the lying holder's claims do not; the quarantined liar gets nothing.
    const rerun = mesh!.submit(dagOf([big, small, claimForged, claimBare, ...spread]));
    const summary = await rerun.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    const byId = new Map(summary.functions.map((r) => [r.id, r]));
    expect(byId.get('big')).toMatchObject({ cached: true });
    expect(['h1', 'h2']).toContain(byId.get('big')!.peer);
    expect(byId.get('small')).toMatchObject({ cached: true });
    for (const id of ['claim-forged', 'claim-bare']) {
      const r = byId.get(id)!;
      expect(r.cached, id).not.toBe(true);
      expect(['h1', 'h2'], id).toContain(r.peer);
    }
    for (const r of summary.functions) {
      expect(r.peer, r.id).not.toBe('liar');
      for (const a of r.history) expect(a.peer, r.id).not.toBe('liar');
    }
    expect(await results(rerun, ['big', 'small', 'claim-forged', 'claim-bare', 'spread-7'])).toEqual({
      big: 'b'.repeat(30000),
      small: 42,
      'claim-forged': 'real x',
      'claim-bare': 'real y',
      'spread-7': 21,
    });
    // The forged receipts were refused, logged with the liar's id (big's too: a forged receipt for a hash the
    // honest peers really hold does not make the liar one of its holders).
    const refusal = await co
      .waitFor(
        (l) => l.level === 'warn' && String(l.msg).includes("'peer:status' from peer 'rliar' refused"),
        10_000,
      )
      .catch(() => {
        throw new Error(`no refusal of the forged receipts\n${h.logs()}`);
      });
    expect(refusal).toMatchObject({ peer: 'rliar', reason: 'receipt' });
    const rliarGot = h.peers.get('rliar')!.lines.filter((l) => l.event === 'got');
    expect(
      rliarGot.some(
        (l) =>
          (l.message as { type?: string; missing?: string }).type === 'error' &&
          (l.message as { missing?: string }).missing === 'receipt',
      ),
    ).toBe(true);
    expect(rliarGot.some((l) => (l.message as { type?: string }).type === 'result:fetch')).toBe(false);

    // 5. A verified rerun of the verified run's DAG: every value comes from a verified receipt, none recomputed.
    const again = await mesh!.submit(dagOf(functions), { verify: { replicas: 2, trustAfter: 1000 } }).done;
    expect(again.status).toBe('succeeded');
    for (const r of again.functions) expect(r.cached, r.id).toBe(true);
    const rerunValues = await results(mesh!.submit(dagOf(functions)), [...expected.keys()].slice(0, 3));
    expect(rerunValues).toEqual(Object.fromEntries([...expected].slice(0, 3)));
  }, 240_000);
});
