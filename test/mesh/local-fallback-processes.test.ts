/**
 * `connect({ fallback: 'local' })` (sdk/src/local-fallback.ts), with real processes: the mesh's only
 * coordinator is SIGKILLed mid-run and none takes over within `failoverWindowMs`; the submitter finishes the
 * run on its own machine, fetching the finished inputs from the contributing peers, with every result correct.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { connect } from '../../sdk/src/connect.js';
import { closedAfterEach, startMeshHarness, until } from '../harness/mesh-harness.js';

function layered(layers: number, width: number, ms: number): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const id = `g${l}-${i}`;
      const k = l * 1000 + i;
      const args = l === 0 ? [] : [`g${l - 1}-${i}`, `g${l - 1}-${(i + 1) % width}`];
      functions.push({
        id,
        args,
        code: {
          kind: 'source',
          source: `async (...xs) => { await new Promise((r) => setTimeout(r, ${ms})); const k = xs[xs.length - 1]; let s = k; for (let j = 0; j < xs.length - 1; j++) s += xs[j]; return s % 1000003; }`,
        },
        extraArgs: [k],
      });
      expected.set(id, args.reduce((s, a) => s + expected.get(a)!, k) % 1000003);
    }
  }
  return { dag: { format: 'handout-dag', version: 1, functions }, expected };
}

describe('local fallback with real processes', () => {
  const closing = closedAfterEach();

  it("the only coordinator's process is SIGKILLed and none takes over: the submitter finishes the run itself", async () => {
    const h = closing(await startMeshHarness({ mesh: 'fallback' }));
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'] });
    for (const id of ['p1', 'p2']) h.spawnPeer({ id, flags: ['--concurrency', '2'] });
    await h.waitForMembers(['co', 'p1', 'p2']);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p2');
    const mesh = closing(
      await connect({
        signal: h.server.url,
        token: h.token(['submit'], 'submitter'),
        failoverWindowMs: 1500,
        fallback: 'local',
      }),
    );
    await until(() => mesh.coordinatorId() === 'co', 30_000, 'the submitter sees the coordinator');
    const { dag, expected } = layered(4, 8, 300);
    const run = mesh.submit(dag);
    await until(
      () => run.records().filter((r) => r.status === 'succeeded').length >= 12,
      60_000,
      'the run makes progress on the mesh',
    );
    h.peers.get('co')!.kill('SIGKILL');
    const summary = await run.done;
    expect(summary.functions.filter((r) => r.status !== 'succeeded').map((r) => r.id)).toEqual([]);
    for (const [id, value] of expected) expect(await run.result(id), id).toBe(value);
    // The last layer ran here, on the submitter, as the records say; the first ran on the mesh.
    const here = summary.functions.filter((r) => r.peer === 'submitter').map((r) => r.id);
    expect(here).toEqual(expect.arrayContaining(['g3-0', 'g3-7']));
    expect(summary.functions.find((r) => r.id === 'g0-0')!.peer).not.toBe('submitter');
    console.log(
      `local fallback: ${here.length} of ${summary.functions.length} functions finished on the submitter`,
    );
  }, 180_000);
});
