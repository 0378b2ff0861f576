/**
 * A final result lost with its only holder, recovered by a remote submitter: a coordinator process and Node peer
 * processes over real WebRTC through a real signaling server (run inside test/netns/run.sh); this test process
 * submits through `connect()` as a submit-only client, so `result(id)` goes through `result:recover`.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const source = (s: string) => ({ kind: 'source' as const, source: s });
// Results well above the inline limit (16 KiB), so they exist only in the store of the peer that made them.
const functions: FunctionSpec[] = [
  { id: 'a', args: [], code: source('(n) => "x".repeat(n)'), extraArgs: [40_000] },
  { id: 'b', args: ['a'], code: source('(s) => s + "y".repeat(40_000)') },
];
const dag: DagJSON = { format: 'handout-dag', version: 1, functions };

describe('a remote submitter whose final result was only on a killed peer', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'remote-recompute-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'] });
    h.spawnPeer({ id: 'p1' });
    await h.waitForMembers(['co', 'p1']);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p1');
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
    expect(mesh.coordinatorId()).toBe('co');
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('gets it recomputed by the coordinator on another peer, and the record shows the recompute', async () => {
    const run = mesh.submit(dag);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions.map((r) => r.peer)).toEqual(['p1', 'p1']);
    h.peers.get('p1')!.kill('SIGKILL');
    h.spawnPeer({ id: 'p2' });
    await h.waitForMembers(['p2']);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p2');

    const value = (await run.result('b')) as string;
    expect(value.length).toBe(80_000);
    expect(value.startsWith('x') && value.endsWith('y')).toBe(true);
    const b = run.records().find((r) => r.id === 'b')!;
    expect(b.history.map((a) => a.peer)).toEqual(['p1', 'p2']);
    expect(b.history[1]!.endedAt).toBeDefined();
  }, 90_000);
});
