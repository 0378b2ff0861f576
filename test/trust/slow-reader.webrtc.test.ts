/**
 * A peer that stops reading (issue 10, backpressure): a real reader process (fixtures/transport-peer.ts) is
 * SIGSTOPped, so its SCTP receive window fills and our channel's buffer stops draining. This process keeps posting
 * 256 KiB messages to it over real WebRTC. What must hold: the bytes queued for it never pass the cap
 * (`maxQueuedBytes`, 8 MiB here) by more than one message, and past it the connection is dropped as failed with
 * an error naming the peer, every pending send rejected. Run inside test/netns/run.sh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSignaling, type SignalingClient } from '../../peer-runtime/src/signaling/client.js';
import { nodeRtc } from '../../peer-runtime/src/transport/rtc.node.js';
import type { Transport } from '../../peer-runtime/src/transport/types.js';
import { createWebRtcTransport } from '../../peer-runtime/src/transport/webrtc.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { ROOT } from '../harness/mesh-harness.js';

const CAP = 8 * 1024 * 1024;
const MESSAGE = 256 * 1024;

describe('a peer that stops reading', () => {
  let server: SignalingServer | undefined;
  let reader: ChildProcess | undefined;
  let signaling: SignalingClient | undefined;
  let transport: Transport | undefined;

  afterEach(async () => {
    if (reader && reader.exitCode === null) {
      reader.kill('SIGCONT');
      reader.kill('SIGKILL');
    }
    await transport?.close();
    await signaling?.close();
    await server?.close();
  });

  it('makes the sender drop it, naming it, once the bytes queued for it pass the cap', async () => {
    server = await createSignalingServer({ port: 0, host: '127.0.0.1' });
    const token = (sub: string) => server!.issueToken({ mesh: 'slow', roles: ['contribute'], sub });
    reader = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'test/fixtures/transport-peer.ts',
        server.url,
        token('reader'),
        'reader',
        'sender',
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, HANDOUT_TEST_SIZES: '1' } },
    );
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: reader.stdout! }).on('line', (t) => lines.push(JSON.parse(t)));
    signaling = await connectSignaling({
      url: server.url,
      token: token('sender'),
      peerId: 'sender',
      capabilities: {
        platform: 'node',
        cores: 1,
        memoryMB: 512,
        gpu: false,
        tags: [],
        costRate: 0,
        speed: 1,
      },
    });
    transport = createWebRtcTransport({
      peerId: 'sender',
      signals: signaling,
      directory: signaling,
      rtc: nodeRtc(),
      maxQueuedBytes: CAP,
    });
    const got: number[] = [];
    transport.onMessage((_from, m) => {
      if (m.type === 'result:data') got.push(m.bytes.byteLength);
    });
    // The reader dials us and sends its one message: the link works.
    await expect.poll(() => got.length, { timeout: 30_000 }).toBe(1);
    const disconnected = new Promise<{ reason: string; error?: Error }>((resolve) =>
      transport!.on('peer:disconnected', (e) => {
        if (e.peerId === 'reader') resolve(e);
      }),
    );
    reader.kill('SIGSTOP');

    const bytes = new Uint8Array(MESSAGE);
    const sends: Promise<unknown>[] = [];
    let maxQueued = 0;
    let firstRefusal: Error | undefined;
    for (let k = 0; k < 2000 && firstRefusal === undefined; k++) {
      sends.push(
        transport
          .send('reader', { type: 'result:data', requestId: k, hash: 'h', bytes })
          .catch((e: Error) => {
            firstRefusal ??= e;
          }),
      );
      const c = transport.connections().find((x) => x.peerId === 'reader');
      maxQueued = Math.max(maxQueued, c?.queuedBytes ?? 0);
      // Let the channel take what it will (its buffer fills to the high-water mark, then stops draining).
      if (k % 16 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const event = await disconnected;
    await Promise.all(sends);
    expect(event.reason).toBe('failed');
    expect(event.error?.message).toMatch(
      /peer 'reader'.*is not reading: \d+ bytes would be queued for it, past the cap of 8388608/,
    );
    expect(firstRefusal?.message).toMatch(/peer 'reader'/);
    expect(maxQueued).toBeGreaterThan(CAP / 2);
    // Bounded: the cap plus at most one message (the one that would have passed it is refused).
    expect(maxQueued).toBeLessThanOrEqual(CAP + MESSAGE);
    // The reader never got the flood (it was stopped); it is still alive, merely stopped.
    expect(reader.exitCode).toBeNull();
  }, 90_000);
});
