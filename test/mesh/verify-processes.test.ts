/**
 * Result verification with real processes over real WebRTC (run inside test/netns/run.sh): a coordinator
 * process, three honest `handout peer` processes and one lying contributor (test/fixtures/liar-peer.ts: a real
 * peer whose pool returns a forged value for everything and which claims 64 slots and speed 1e6). This test
 * process submits through `connect()` as a submit-only client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, FunctionVerification, Run } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const source = (s: string) => ({ kind: 'source' as const, source: s });

/** Three layers of 10: roots return k*k, then each sums two of the layer before plus its own constant. */
function layered(): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  const width = 10;
  for (let l = 0; l < 3; l++)
    for (let i = 0; i < width; i++) {
      const id = `v${l}-${i}`;
      const k = l * 100 + i;
      if (l === 0) {
        functions.push({ id, args: [], code: source('(k) => k * k'), extraArgs: [k] });
        expected.set(id, k * k);
      } else {
        const a = `v${l - 1}-${i}`;
        const b = `v${l - 1}-${(i + 1) % width}`;
        functions.push({ id, args: [a, b], code: source('(a, b, k) => a + b + k'), extraArgs: [k] });
        expected.set(id, expected.get(a)! + expected.get(b)! + k);
      }
    }
  return { dag: dagOf(functions), expected };
}

async function resultsOf(run: Run, expected: ReadonlyMap<string, number>): Promise<Map<string, unknown>> {
  const got = new Map<string, unknown>();
  for (const id of expected.keys()) got.set(id, await run.result(id));
  return got;
}

describe('a lying contributor process on a mesh of three honest peers', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'verify-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '20'] });
    for (const id of ['h1', 'h2', 'h3']) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnFixture({ id: 'liar', script: 'test/fixtures/liar-peer.ts' });
    await h.waitForMembers(['co', 'h1', 'h2', 'h3', 'liar']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
    expect(mesh.coordinatorId()).toBe('co');
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('with verify 2 every result is correct, the liar is quarantined, and the records show its disagreements', async () => {
    const { dag, expected } = layered();
    // trustAfter beyond the run: every function is replicated, no spot-check draw decides the outcome.
    const run = mesh.submit(dag, { verify: { replicas: 2, trustAfter: 1000 } });
    const summary = await run.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    expect(Object.fromEntries(await resultsOf(run, expected))).toEqual(Object.fromEntries(expected));
    for (const r of summary.functions) {
      expect(r.peer, r.id).not.toBe('liar');
      expect(new Set(r.history.map((a) => a.peer)).size, r.id).toBeGreaterThanOrEqual(2);
      // The record, as the run events brought it here, names the peers that agreed (the value's among them).
      const v = r.verification;
      expect(v?.outcome, r.id).toMatch(/^(agreed|disputed)$/);
      expect(v!.agreed.length, r.id).toBeGreaterThanOrEqual(2);
      expect(v!.agreed, r.id).toContain(r.peer);
      expect(v!.agreed, r.id).not.toContain('liar');
    }
    // The liar's losses are on the records too, as disputes naming it.
    const disputed = summary.functions.filter((r) => r.verification?.outcome === 'disputed');
    expect(disputed.length).toBeGreaterThanOrEqual(1);
    for (const r of disputed) expect(r.verification!.disagreed, r.id).toEqual(['liar']);
    const co = h.peers.get('co')!;
    const quarantine = await co.waitFor((l) => l.event === 'peer:quarantined', 30_000);
    expect(quarantine.peerId).toBe('liar');
    expect(String(quarantine.reason)).toMatch(/disagreed with the quorum/);
    const disagreements = co.lines.filter((l) => l.event === 'verify:disagreed');
    expect(disagreements.length).toBeGreaterThanOrEqual(2);
    for (const d of disagreements) expect(d.peerId).toBe('liar');
    // The submitter's records carry the losers' attempts too.
    const lost = summary.functions.flatMap((r) =>
      r.history.filter((a) => a.peer === 'liar' && /disagreed/.test(a.error ?? '')),
    );
    expect(lost.length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('a rerun is not served the forged values the liar still holds, with or without verify', async () => {
    const { dag, expected } = layered();
    for (const options of [{ verify: { replicas: 2 } }, {}]) {
      const run = mesh.submit(dag, options);
      const summary = await run.done;
      expect(summary.status, h.logs()).toBe('succeeded');
      expect(Object.fromEntries(await resultsOf(run, expected))).toEqual(Object.fromEntries(expected));
      for (const r of summary.functions) {
        expect(r.peer, r.id).not.toBe('liar');
        for (const a of r.history) expect(a.peer, r.id).not.toBe('liar');
      }
    }
  }, 180_000);

  it("handout run --verify 3 --json names, per function, the peers whose results agreed; a function's own policy overrides the flag", async () => {
    const file = join(process.env.TMPDIR ?? '/tmp', `handout-verify-cli-${process.pid}.json`);
    // Values no earlier test computed, so nothing is a cache hit. c0 and c1 carry their own policy: trustAfter
    // beyond any streak, so they are always replicated; the others take --verify 3's default trustAfter (20),
    // which the honest peers' streaks from the earlier tests may have earned (then they run once: trusted-peer).
    const functions: FunctionSpec[] = Array.from({ length: 4 }, (_, k) => ({
      id: `c${k}`,
      args: [],
      code: source('(k) => k * 3'),
      extraArgs: [1000 + k],
      ...(k < 2 && { verify: { replicas: 3, quorum: 3, trustAfter: 1000 } }),
    }));
    writeFileSync(file, JSON.stringify(dagOf(functions)));
    const r = await h.runCli([
      'run',
      file,
      '--json',
      '--verify',
      '3',
      '--signal',
      h.server.url,
      '--token',
      h.token(['submit'], 'cli'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      results: Record<string, number>;
      functions: { id: string; peer: string; verification: FunctionVerification | null }[];
    };
    expect(out.functions).toHaveLength(4);
    for (const f of out.functions) {
      expect(out.results[f.id], f.id).toBe((1000 + Number(f.id.slice(1))) * 3);
      const v = f.verification;
      expect(v, f.id).not.toBeNull();
      expect(v!.agreed, f.id).toContain(f.peer);
      for (const p of v!.agreed) expect(['h1', 'h2', 'h3'], f.id).toContain(p);
      expect(v!.digest, f.id).toMatch(/^[0-9a-f]{64}$/);
      if (f.id === 'c0' || f.id === 'c1') {
        expect([v!.outcome, v!.replicas, v!.quorum], f.id).toEqual(['agreed', 3, 3]);
        expect([...v!.agreed].sort(), f.id).toEqual(['h1', 'h2', 'h3']);
      } else {
        expect([v!.replicas, v!.quorum], f.id).toEqual([3, 2]);
        if (v!.outcome === 'trusted-peer') expect(v!.agreed, f.id).toEqual([f.peer]);
        else {
          expect(v!.outcome, f.id).toBe('agreed');
          expect(v!.agreed.length, f.id).toBeGreaterThanOrEqual(2);
        }
      }
    }
  }, 120_000);
});
