/**
 * The Transport contract, run against every implementation (memory.test.ts, test/transport-webrtc.test.ts).
 * `makeHarness` builds peers on one network; the suite closes them after each test.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import type { WireMessage } from '../../src/protocol/messages.js';
import type { DisconnectReason, Transport, TransportOptions } from '../../src/transport/types.js';

export interface TransportHarness {
  /** A new peer on the shared network. */
  peer(peerId: string, options?: TransportOptions): Promise<Transport>;
  /** Closes whatever the harness itself holds (hubs, relays). Transports are closed by the suite. */
  close(): Promise<void>;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function data(requestId: number, bytes: Uint8Array): WireMessage {
  return { type: 'result:data', requestId, hash: sha(bytes), bytes };
}

/** Resolves with the first `count` messages `transport` receives. */
function receive(
  transport: Transport,
  count: number,
): Promise<Array<{ from: string; message: WireMessage }>> {
  const got: Array<{ from: string; message: WireMessage }> = [];
  return new Promise((resolve) => {
    const off = transport.onMessage((from, message) => {
      got.push({ from, message });
      if (got.length === count) {
        off();
        resolve(got);
      }
    });
  });
}

function nextEvent(
  transport: Transport,
  event: 'peer:disconnected',
): Promise<{ peerId: string; reason: DisconnectReason }> {
  return new Promise((resolve) => {
    const off = transport.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

export function transportContract(
  name: string,
  makeHarness: () => Promise<TransportHarness>,
  opts: { bigMiB?: number } = {},
) {
  describe(`Transport contract: ${name}`, () => {
    let harness: TransportHarness | undefined;
    const open: Transport[] = [];

    async function peers(ids: string[], options?: TransportOptions): Promise<Transport[]> {
      harness ??= await makeHarness();
      const made: Transport[] = [];
      for (const id of ids) {
        const t = await harness.peer(id, options);
        open.push(t);
        made.push(t);
      }
      return made;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
      await harness?.close();
      harness = undefined;
    });

    it('messages from 1 byte to 64 MiB arrive byte-exact in both directions', async () => {
      const [a, b] = await peers(['peer-a', 'peer-b']);
      const sizes = [1, 100, 4095, 4096, 65_530, 65_536, 200_000, 1 << 20, (opts.bigMiB ?? 64) << 20];
      const payloads = sizes.map((n) => new Uint8Array(randomBytes(n)));
      const atB = receive(b!, sizes.length);
      const atA = receive(a!, sizes.length);
      await Promise.all([
        ...payloads.map((p, i) => a!.send('peer-b', data(i, p))),
        ...payloads.map((p, i) => b!.send('peer-a', data(i, p))),
      ]);
      for (const [got, from] of [
        [await atB, 'peer-a'],
        [await atA, 'peer-b'],
      ] as const) {
        expect(got.map((g) => g.from)).toEqual(sizes.map(() => from));
        // `result:data` travels in the bulk lane, where a small one may overtake a big one (framed-sender.ts):
        // matched by request id, as fetchers do.
        const byId = (m: WireMessage) => (m.type === 'result:data' ? m.requestId : -1);
        got.sort((x, y) => byId(x.message) - byId(y.message));
        got.forEach(({ message }, i) => {
          if (message.type !== 'result:data') throw new Error(`unexpected ${message.type}`);
          expect(message.requestId).toBe(i);
          expect(message.bytes.byteLength).toBe(sizes[i]);
          expect(sha(message.bytes)).toBe(message.hash);
          expect(message.hash).toBe(sha(payloads[i]!));
        });
      }
    }, 120_000);

    it('control messages arrive in the order they were sent, whatever their sizes', async () => {
      const [a, b] = await peers(['peer-a', 'peer-b']);
      const count = 300;
      const got = receive(b!, count);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const inline = new Uint8Array(i % 10 === 0 ? 150_000 : i % 7);
        const result: WireMessage = {
          type: 'task:result',
          runId: 'r',
          functionId: `f${i}`,
          hash: 'h',
          attempt: 1,
          size: inline.byteLength,
          durationMs: 1,
          inline,
        };
        sends.push(a!.send('peer-b', result));
      }
      await Promise.all(sends);
      const ids = (await got).map(({ message }) =>
        message.type === 'task:result' ? message.functionId : '',
      );
      expect(ids).toEqual([...Array(count).keys()].map((i) => `f${i}`));
    });

    it('a small message sent after a big result:data arrives before the big one has finished (issue 16)', async () => {
      const [a, b] = await peers(['peer-a', 'peer-b']);
      await a!.connect('peer-b');
      const got = receive(b!, 2);
      const big = new Uint8Array(randomBytes(8 << 20));
      const sends = [
        a!.send('peer-b', data(1, big)),
        a!.send('peer-b', { type: 'task:cancel', runId: 'r', functionIds: ['f'], reason: 'test' }),
      ];
      await Promise.all(sends);
      const [first, second] = await got;
      expect(first!.message.type).toBe('task:cancel');
      expect(second!.message).toMatchObject({ type: 'result:data', requestId: 1 });
      if (second!.message.type === 'result:data') expect(sha(second!.message.bytes)).toBe(sha(big));
    }, 60_000);

    it('many concurrent sends between three peers all arrive', async () => {
      const ts = await peers(['peer-a', 'peer-b', 'peer-c']);
      const perPair = 100;
      const expected = perPair * 2;
      const received = ts.map((t) => receive(t, expected));
      await Promise.all(
        ts.flatMap((from) =>
          ts
            .filter((to) => to !== from)
            .flatMap((to) =>
              [...Array(perPair).keys()].map((i) =>
                from.send(to.localPeerId, {
                  type: 'task:cancel',
                  runId: 'r',
                  functionIds: [`f${i}`],
                  reason: from.localPeerId,
                }),
              ),
            ),
        ),
      );
      for (const [k, r] of received.entries()) {
        const got = await r;
        const senders = new Set(got.map((g) => g.from));
        expect(senders).toEqual(new Set(ts.filter((_, j) => j !== k).map((t) => t.localPeerId)));
        for (const g of got) {
          if (g.message.type !== 'task:cancel') throw new Error('wrong type');
          expect(g.message.reason).toBe(g.from);
        }
      }
    });

    it('a send to an unknown peer rejects with a PeerError naming it', async () => {
      const [a] = await peers(['peer-a'], { connectTimeoutMs: 60_000 });
      const error = await a!
        .send('nobody-here', { type: 'ping', nonce: 1, sentAt: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PeerError);
      expect((error as PeerError).peerId).toBe('nobody-here');
      expect((error as PeerError).message).toContain('nobody-here');
    }, 5_000);

    it('a peer that closes is reported as disconnected, and later sends to it reject naming it', async () => {
      const [a, b] = await peers(['peer-a', 'peer-b'], { connectTimeoutMs: 60_000 });
      await a!.connect('peer-b');
      const disconnected = nextEvent(a!, 'peer:disconnected');
      await b!.close();
      expect(await disconnected).toMatchObject({ peerId: 'peer-b', reason: 'remote-closed' });
      const error = await a!.send('peer-b', { type: 'ping', nonce: 1, sentAt: 0 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PeerError);
      expect((error as PeerError).peerId).toBe('peer-b');
    });

    it('opening a connection above the cap closes the least recently used idle one', async () => {
      const [a] = await peers(['peer-a'], { maxConnections: 2 });
      await peers(['peer-b', 'peer-c', 'peer-d']);
      await a!.connect('peer-b');
      await a!.connect('peer-c');
      await a!.send('peer-b', { type: 'task:cancel', runId: 'r', functionIds: [], reason: 'touch b' });
      const evicted = nextEvent(a!, 'peer:disconnected');
      await a!.connect('peer-d');
      expect(await evicted).toEqual({ peerId: 'peer-c', reason: 'evicted' });
      expect(
        a!
          .connections()
          .map((c) => c.peerId)
          .sort(),
      ).toEqual(['peer-b', 'peer-d']);
    });

    it('a connection with no traffic for the idle timeout is closed', async () => {
      const [a] = await peers(['peer-a'], { idleTimeoutMs: 300 });
      await peers(['peer-b']);
      await a!.connect('peer-b');
      expect(await nextEvent(a!, 'peer:disconnected')).toEqual({ peerId: 'peer-b', reason: 'idle' });
      expect(a!.connections()).toEqual([]);
      await a!.send('peer-b', {
        type: 'task:cancel',
        runId: 'r',
        functionIds: [],
        reason: 'reopened on demand',
      });
      expect(a!.connections().map((c) => c.peerId)).toEqual(['peer-b']);
    });

    it('ping measures a round trip to a connected peer', async () => {
      const [a] = await peers(['peer-a', 'peer-b']);
      const rtt = await a!.ping('peer-b');
      expect(rtt).toBeGreaterThan(0);
    });

    it('a transport that is closed rejects sends', async () => {
      const [a] = await peers(['peer-a', 'peer-b']);
      await a!.close();
      await expect(a!.send('peer-b', { type: 'ping', nonce: 1, sentAt: 0 })).rejects.toBeInstanceOf(
        PeerError,
      );
    });
  });
}
