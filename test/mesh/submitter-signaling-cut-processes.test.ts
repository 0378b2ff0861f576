/**
 * A submitter away from the signaling server longer than its grace window, its data channels fine (issue 13,
 * found by the chaos test under load: after a signaling restart the submitter reconnected after the grace window
 * and the coordinator cancelled its run). Real processes over real WebRTC (run inside test/netns/run.sh): a
 * coordinator and two contributors (`handout peer`), the harness's signaling server (grace 1 s), and this test
 * process submitting through `connect()` — whose signaling socket goes through a TCP relay the test cuts (every
 * connection dropped, new ones refused) for a few seconds mid-run. The server reports the submitter gone
 * ('lost'); the coordinator must see that its channel still answers and keep the run (coordinator/
 * submitter-watch.ts), which then completes with every result correct.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness, until } from '../harness/mesh-harness.js';

/** A TCP relay to `target` on a port of its own, that can drop every connection and refuse new ones for a while. */
async function tcpRelay(target: URL): Promise<{ url: string; cut(): Promise<void>; mend(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((inbound) => {
        const outbound = new (inbound.constructor as typeof Socket)();
        outbound.connect(Number(target.port), target.hostname);
        for (const sock of [inbound, outbound]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {});
        }
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as { port: number }).port);
      });
    });
  const port = await listen(0);
  return {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      const s = server;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    },
    async mend() {
      await listen(port);
    },
  };
}

/** 40 functions of ~500 ms (5 s on 4 slots), then their sum. */
function dag(): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < 40; i++) {
    functions.push({
      id: `f${i}`,
      args: [],
      code: {
        kind: 'source',
        source: '(k) => { const end = Date.now() + 500; while (Date.now() < end) {} return k * 3; }',
      },
      extraArgs: [i],
    });
    expected.set(`f${i}`, i * 3);
  }
  functions.push({
    id: 'sum',
    args: functions.map((f) => f.id),
    code: { kind: 'source', source: '(...xs) => xs.reduce((a, b) => a + b, 0)' },
  });
  expected.set(
    'sum',
    [...expected.values()].reduce((a, b) => a + b, 0),
  );
  return { dag: { format: 'handout-dag', version: 1, functions }, expected };
}

describe('a submitter cut off from signaling alone', () => {
  let h: MeshHarness | undefined;
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
    await h?.close();
    h = undefined;
  });

  it('a submitter reported gone by the signaling server while its data channel answers keeps its run, which completes', async () => {
    h = await startMeshHarness({ mesh: 'submitter-cut' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'] });
    for (const id of ['p1', 'p2']) h.spawnPeer({ id, flags: ['--concurrency', '2'] });
    await h.waitForMembers(['co', 'p1', 'p2'], undefined, 120_000);
    await h.peers.get('co')!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p2', 60_000);
    const relay = await tcpRelay(new URL(h.server.url));
    mesh = await connect({ signal: relay.url, token: h.token(['submit'], 'submitter') });
    await until(() => mesh!.peers().length >= 3, 30_000, 'the submitter sees every member');

    const { dag: d, expected } = dag();
    const run = mesh.submit(d);
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    await relay.cut();
    // The server's grace window is 1 s: the coordinator hears the submitter left well within the cut.
    const co = h.peers.get('co')!;
    await co.waitFor((l) => l.event === 'peer:left' && l.peerId === 'submitter', 20_000);
    await relay.mend();

    const summary = await run.done;
    expect(
      summary.functions.filter((r) => r.status !== 'succeeded').map((r) => `${r.id}: ${r.status}`),
    ).toEqual([]);
    expect(summary.status).toBe('succeeded');
    for (const [id, value] of expected) expect(await run.result(id), id).toBe(value);
  }, 180_000);
});
