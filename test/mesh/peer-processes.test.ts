/**
 * `handout signal` / `handout peer` as real processes over real WebRTC (run inside test/netns/run.sh): peers join
 * through the signaling server, see each other, a SIGKILLed peer is announced gone, and SIGTERM leaves cleanly.
 * Byte-exact payloads of 1 byte to 64 MiB between three processes are covered by test/transport-processes.test.ts
 * (same transport, same signaling client); this file covers the `handout peer` process around them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@handout/peer-runtime/signaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MeshHarness, type PeerProcess, spawnCli, startMeshHarness } from '../harness/mesh-harness.js';

describe('handout peer processes on one mesh', () => {
  let h: MeshHarness;
  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'peers-test' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('three peers join and each sees the others with their advertised capabilities', async () => {
    h.spawnPeer({
      id: 'pa',
      flags: ['--concurrency', '1', '--tags', 'eu,ssd', '--cost', '0.5', '--speed', '2'],
    });
    h.spawnPeer({ id: 'pb', flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnPeer({ id: 'pc', flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers(['pa', 'pb', 'pc']);
    const a = (await h.server.peers('peers-test')).find((p) => p.peerId === 'pa')!;
    expect(a.capabilities).toMatchObject({
      platform: 'node',
      cores: 1,
      tags: ['eu', 'ssd'],
      costRate: 0.5,
      speed: 2,
      gpu: false,
    });
    expect(a.roles).toEqual(['contribute']);
    // Each peer hears of the others, in its join snapshot or as they join.
    for (const [self, others] of [
      ['pa', ['pb', 'pc']],
      ['pc', ['pa', 'pb']],
    ] as const) {
      for (const id of others) {
        await h.peers
          .get(self)!
          .waitFor(
            (l) =>
              (l.event === 'joined' && (l.peers as string[]).includes(id)) ||
              (l.event === 'peer:joined' && l.peerId === id),
          );
      }
    }
  }, 90_000);

  it('a peer killed with SIGKILL is announced as gone to the others', async () => {
    const victim = h.peers.get('pc')!;
    victim.kill('SIGKILL');
    await victim.exited;
    for (const id of ['pa', 'pb']) {
      const line = await h.peers
        .get(id)!
        .waitFor((l) => l.event === 'peer:left' && l.peerId === 'pc', 15_000);
      expect(['lost', 'left']).toContain(line.reason);
    }
    expect((await h.server.peers('peers-test')).map((p) => p.peerId).sort()).toEqual(['pa', 'pb']);
  }, 30_000);

  it('SIGTERM makes a peer leave cleanly and exit 0, and the others see it leave', async () => {
    const leaving = h.peers.get('pb')!;
    leaving.kill('SIGTERM');
    expect(await leaving.exited).toBe(0);
    expect(leaving.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['leaving', 'left']));
    const line = await h.peers
      .get('pa')!
      .waitFor((l) => l.event === 'peer:left' && l.peerId === 'pb', 15_000);
    expect(line.reason).toBe('left');
  }, 30_000);

  it('handout run --signal runs a DAG on the mesh with an embedded coordinator: same output as the local run', async () => {
    const local = await h.runCli(['run', 'examples/pipeline.json', '--json']);
    expect(local.code).toBe(0);
    const token = h.token(['submit', 'coordinate'], 'cli-submitter');
    const remote = await h.runCli([
      'run',
      'examples/pipeline.json',
      '--json',
      '--signal',
      h.server.url,
      '--token',
      token,
      '--strategy',
      'load-balanced',
    ]);
    expect(remote.stderr).not.toMatch(/internal error/);
    expect(remote.code).toBe(0);
    const localOut = JSON.parse(local.stdout) as {
      status: string;
      results: unknown;
      functions: { peer: string }[];
    };
    const meshOut = JSON.parse(remote.stdout) as typeof localOut;
    expect(meshOut.status).toBe('succeeded');
    expect(meshOut.results).toEqual(localOut.results);
    // Only 'pa' is left in the mesh: every record names it.
    expect(new Set(meshOut.functions.map((f) => f.peer))).toEqual(new Set(['pa']));
  }, 60_000);

  it('handout run --signal exits 2 naming the token when it does not grant submit', async () => {
    const r = await h.runCli([
      'run',
      'examples/pipeline.json',
      '--signal',
      h.server.url,
      '--token',
      h.token(['contribute']),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^handout: --token: the token does not grant the 'submit' role/);
  }, 30_000);

  it('a peer with a token of another server is refused with the reason and exits 2', async () => {
    const forged = signToken(
      { mesh: 'peers-test', roles: ['contribute'], exp: 4102444800 },
      'another-server',
    );
    const r = await h.runCli([
      'peer',
      '--signal',
      h.server.url,
      '--token',
      forged,
      '--speed',
      '1',
      '--concurrency',
      '1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused the connection \(token-unknown-key\)/);
  }, 30_000);
});

describe('handout signal', () => {
  it('started without --secret prints a token for mesh default that admits a handout peer', async () => {
    const server = spawnCli('signal', ['signal', '--port', '0', '--json']);
    const dir = mkdtempSync(join(tmpdir(), 'handout-signal-test-'));
    let peer: PeerProcess | undefined;
    try {
      const listening = await server.waitFor((l) => l.event === 'listening');
      expect(listening).toMatchObject({ mesh: 'default' });
      peer = spawnCli('first-try', [
        'peer',
        '--signal',
        String(listening.url),
        '--token',
        String(listening.token),
        '--speed',
        '1',
        '--concurrency',
        '1',
        '--cache-dir',
        dir,
        '--json',
      ]);
      const joined = await peer.waitFor((l) => l.event === 'joined', 30_000);
      expect(joined).toMatchObject({ mesh: 'default', roles: ['contribute'] });
      peer.kill('SIGTERM');
      expect(await peer.exited).toBe(0);
      server.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      peer?.kill('SIGKILL');
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
