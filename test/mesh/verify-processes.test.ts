/**
 * Result verification with real processes over real WebRTC (run inside test/netns/run.sh): a coordinator
 * process, three honest `handout peer` processes and one lying contributor (test/fixtures/liar-peer.ts: a real
 * peer whose pool returns a forged value for everything and which claims 64 slots and speed 1e6). This test
 * process submits through `connect()` as a submit-only client.
 */
import type { DagJSON, FunctionSpec, Run } from '@handout/peer-runtime';
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
    }
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
});
