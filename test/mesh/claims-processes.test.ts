/**
 * Capabilities as claims with real processes over real WebRTC (inside test/netns/run.sh): a coordinator
 * process, two honest one-slot `handout peer` processes and a boaster (test/fixtures/liar-peer.ts with honest
 * values: it claims 64 slots and speed 1e6 and runs one function at a time). The boaster must not take most of
 * the run, and the honest peers must not starve; and its claim, contradicted by what it delivered, costs it trust.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const BUSY = '(k, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return k; }';

describe('a peer that claims 64 slots and speed 1e6 beside two honest one-slot peers', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'claims-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'] });
    for (const id of ['h1', 'h2']) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnFixture({ id: 'boaster', script: 'test/fixtures/liar-peer.ts', env: { LIAR_FORGE: '0' } });
    await h.waitForMembers(['co', 'h1', 'h2', 'boaster']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('gets about its real share of the work, not the 64/66 it claims', async () => {
    const functions: FunctionSpec[] = Array.from({ length: 30 }, (_, k) => ({
      id: `f${k}`,
      args: [],
      code: { kind: 'source', source: BUSY },
      extraArgs: [k, 60],
      cost: { estimateMs: 60 },
    }));
    const dag: DagJSON = { format: 'handout-dag', version: 1, functions };
    const run = mesh.submit(dag);
    const summary = await run.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    for (let k = 0; k < 30; k++) expect(await run.result(`f${k}`)).toBe(k);
    const got: Record<string, number> = {};
    for (const r of summary.functions) got[r.peer ?? '?'] = (got[r.peer ?? '?'] ?? 0) + 1;
    // Believed, its 64 slots would take ~29 of 30; each peer really runs one at a time (a fair share is 10).
    expect(got.boaster ?? 0, JSON.stringify(got)).toBeLessThanOrEqual(15);
    expect((got.h1 ?? 0) + (got.h2 ?? 0), JSON.stringify(got)).toBeGreaterThanOrEqual(15);
    // Measured far below its claim, it lost trust: the coordinator says so, naming it, and only it.
    const co = h.peers.get('co')!;
    const contradicted = await co.waitFor(
      (l) => l.level === 'warn' && /contradicted its advertised capabilities/.test(String(l.msg)),
      10_000,
    );
    expect(contradicted).toMatchObject({ peer: 'boaster' });
    expect(String(contradicted.msg)).toMatch(
      /speed 1000000 advertised, [\d.e+-]+ measured over \d+ functions/,
    );
    const accused = co.lines
      .filter((l) => /contradicted its advertised/.test(String(l.msg)))
      .map((l) => l.peer);
    expect(accused).toEqual(['boaster']);
  }, 120_000);
});
