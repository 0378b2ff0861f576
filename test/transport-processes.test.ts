/**
 * Three Node peer processes exchange payloads of 1 byte to 64 MiB over real WebRTC, introduced by a real
 * signaling server; then one is killed with SIGKILL and the others report it gone. Run inside
 * test/netns/run.sh (the tests themselves only rely on the empty ICE list).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../signaling-server/src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/transport-peer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface PeerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function startPeer(server: SignalingServer, id: string, others: string[]): PeerProcess {
  const token = server.issueToken({ mesh: 'transport-test', roles: ['contribute'], sub: id });
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', FIXTURE, server.url, token, id, ...others],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<{
    predicate: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  return {
    id,
    child,
    lines,
    waitFor: (predicate) => {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ predicate, resolve }));
    },
  };
}

describe('WebRTC transport between real processes', () => {
  let server: SignalingServer | undefined;
  const peers: PeerProcess[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await server?.close();
  });

  it('three peers exchange 1 byte to 64 MiB byte-exact in every direction, and a SIGKILLed peer is reported gone', async () => {
    // A generous presence timeout: three processes pushing 64 MiB each way starve event loops on 2 cores, and the
    // SIGKILL below is noticed at once anyway (its TCP connection closes).
    server = await createSignalingServer({ port: 0, host: '127.0.0.1', presenceTimeoutMs: 30_000 });
    const ids = ['proc-a', 'proc-b', 'proc-c'];
    for (const id of ids)
      peers.push(
        startPeer(
          server,
          id,
          ids.filter((o) => o !== id),
        ),
      );
    await Promise.all(peers.map((p) => p.waitFor((l) => l.event === 'done')));
    for (const p of peers) {
      const received = p.lines.filter((l) => l.event === 'received');
      expect(received).toHaveLength(6);
      expect(received.every((l) => l.ok === true)).toBe(true);
      expect(new Set(received.map((l) => l.from))).toEqual(new Set(ids.filter((o) => o !== p.id)));
      expect(received.map((l) => l.size).sort((x, y) => Number(x) - Number(y))).toEqual([
        1, 1, 70000, 70000, 67108864, 67108864,
      ]);
    }
    // No link was replaced during the transfer: a timed-out dial's retry once made the lower peer tear down a
    // link that had just opened, with sends in flight (test/transport-webrtc-redial.test.ts).
    for (const p of peers) {
      expect(
        p.lines.filter((l) => l.event === 'disconnected'),
        `${p.id}'s disconnects before the kill`,
      ).toEqual([]);
    }
    peers[2]!.child.kill('SIGKILL');
    for (const p of peers.slice(0, 2)) {
      const line = await p.waitFor((l) => l.event === 'disconnected' && l.peerId === 'proc-c');
      expect(line.reason).toBe('remote-closed');
    }
  }, 120_000);
});
