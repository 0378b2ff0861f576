/**
 * The shared connection logic (framed-transport.ts) against a scripted remote: a frame link whose far end is
 * the test, which reads what the transport sends and hands it any frame it likes, as a hostile or confused peer
 * would. The Transport contract (contract.ts) covers two well-behaved transports; this covers the handshake
 * checks, protocol errors, glare and peers that leave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { FRAME_OPEN, FrameWriter, Reassembler } from '../../src/protocol/framing.js';
import { PROTOCOL_VERSION, type WireMessage } from '../../src/protocol/messages.js';
import type { Dialer, FrameLink, LinkCloseReason } from '../../src/transport/frame-link.js';
import { createFramedTransport, type FramedTransport } from '../../src/transport/framed-transport.js';
import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import type { DisconnectReason, Transport } from '../../src/transport/types.js';

/** The far end of one link, driven by the test. */
class ScriptedRemote {
  /** Messages the transport sent over this link, decoded. */
  readonly received: WireMessage[] = [];
  closed = false;
  private onFrame: ((frame: Uint8Array) => void) | undefined;
  private onClosed: ((reason: LinkCloseReason, error?: Error) => void) | undefined;
  private readonly reassembler = new Reassembler();
  private readonly channelClosed = new Set<() => void>();
  readonly link: FrameLink;

  constructor() {
    const channel = {
      readyState: 'open',
      bufferedAmount: 0,
      bufferedAmountLowThreshold: 0,
      send: (frame: Uint8Array) => {
        const bytes = this.reassembler.push(frame.slice());
        if (bytes) this.received.push(decodeMessage(bytes));
      },
      addEventListener: (type: string, listener: () => void) => {
        if (type === 'close') this.channelClosed.add(listener);
      },
      removeEventListener: (type: string, listener: () => void) => {
        if (type === 'close') this.channelClosed.delete(listener);
      },
    };
    this.link = {
      channel,
      frameSize: 64 * 1024,
      onFrame: (listener) => {
        this.onFrame = listener;
      },
      onClosed: (listener) => {
        this.onClosed = listener;
      },
      close: () => {
        this.closed = true;
      },
    };
  }

  /** Sends `message` to the transport, framed as a peer would. */
  say(message: WireMessage): void {
    const writer = new FrameWriter(encodeMessage(message), 64 * 1024);
    for (let frame = writer.next(); frame; frame = writer.next()) this.frame(frame);
  }

  frame(frame: Uint8Array): void {
    this.onFrame?.(frame);
  }

  hello(peerId: string, version = PROTOCOL_VERSION): void {
    this.say({ type: 'hello', version, peerId });
  }

  /** The data channel fires `close` (its sender stops) before the link reports itself closed. */
  closeChannel(): void {
    for (const l of [...this.channelClosed]) l();
  }

  /** The link goes away on the remote side. */
  drop(reason: LinkCloseReason = 'remote-closed'): void {
    this.onClosed?.(reason);
  }
}

/** A dialer whose every dial is answered by a new ScriptedRemote. */
function scriptedDialer(): Dialer & { remotes: ScriptedRemote[] } {
  const remotes: ScriptedRemote[] = [];
  return {
    remotes,
    async dial() {
      const remote = new ScriptedRemote();
      remotes.push(remote);
      return remote.link;
    },
    close() {},
  };
}

const until = async (check: () => boolean, ms = 2_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** The `n`th remote dialed, once the transport has attached its link (its hello arrived). */
async function dialed(dialer: { remotes: ScriptedRemote[] }, n = 0): Promise<ScriptedRemote> {
  await until(() => (dialer.remotes[n]?.received.length ?? 0) > 0);
  return dialer.remotes[n]!;
}

/** Connects `t` to 'b' through `dialer` and answers as a well-behaved 'b'; returns the remote. */
async function openTo(t: Transport, dialer: { remotes: ScriptedRemote[] }, n = 0): Promise<ScriptedRemote> {
  const connecting = t.connect('b');
  const remote = await dialed(dialer, n);
  remote.hello('b');
  await connecting;
  return remote;
}

function disconnects(
  transport: Transport,
): Array<{ peerId: string; reason: DisconnectReason; error?: Error }> {
  const seen: Array<{ peerId: string; reason: DisconnectReason; error?: Error }> = [];
  transport.on('peer:disconnected', (e) => seen.push(e));
  return seen;
}

describe('framed transport', () => {
  const open: Transport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  const transport = (peerId: string, dialer: Dialer): FramedTransport => {
    const t = createFramedTransport(peerId, dialer, { connectRetries: 0, connectTimeoutMs: 2_000 });
    open.push(t);
    return t;
  };

  it('says hello first and opens the connection when the remote hello names the peer dialed', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const connected: string[] = [];
    t.on('peer:connected', ({ peerId }) => connected.push(peerId));
    const connecting = t.connect('b');
    const remote = await dialed(dialer);
    expect(remote.received[0]).toEqual({ type: 'hello', version: PROTOCOL_VERSION, peerId: 'a' });
    expect(t.isOpen('b')).toBe(false);
    remote.hello('b');
    await connecting;
    expect(t.isOpen('b')).toBe(true);
    expect(connected).toEqual(['b']);
    const got: Array<[string, WireMessage]> = [];
    t.onMessage((from, message) => got.push([from, message]));
    remote.say({ type: 'result:missing', requestId: 7, hash: 'h' });
    expect(got).toEqual([['b', { type: 'result:missing', requestId: 7, hash: 'h' }]]);
  });

  it.each([
    ['a hello naming another peer', (r: ScriptedRemote) => r.hello('mallory'), 'peerId'],
    [
      'a hello of another protocol version',
      (r: ScriptedRemote) => r.hello('b', PROTOCOL_VERSION + 1),
      'version',
    ],
    [
      'a message before the hello',
      (r: ScriptedRemote) => r.say({ type: 'ping', nonce: 1, sentAt: 0 }),
      'type',
    ],
  ] as const)(
    '%s is refused: the remote is told the field, the link closes, connecting rejects naming the peer',
    async (_, misbehave, field) => {
      const dialer = scriptedDialer();
      const t = transport('a', dialer);
      const connected: string[] = [];
      t.on('peer:connected', ({ peerId }) => connected.push(peerId));
      const connecting = t.connect('b');
      const remote = await dialed(dialer);
      misbehave(remote);
      const error = await connecting.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PeerError);
      expect((error as PeerError).peerId).toBe('b');
      expect((error as Error).message).toContain('protocol-error');
      expect(remote.received.at(-1)).toMatchObject({ type: 'error', code: 'protocol', field });
      expect(remote.closed).toBe(true);
      expect(connected).toEqual([]);
      expect(t.connections()).toEqual([]);
    },
  );

  it('a malformed frame on an open connection drops it as a protocol error, reported with the error', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const remote = await openTo(t, dialer);
    // An open frame (stream 0) declaring fewer bytes than it carries.
    remote.frame(new Uint8Array([FRAME_OPEN, 0, 0, 0, 0, 0, 1, 9, 9]));
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ peerId: 'b', reason: 'protocol-error' });
    expect(seen[0]!.error).toMatchObject({ name: 'ProtocolError', field: 'frame' });
    expect(remote.received.at(-1)).toMatchObject({ type: 'error', code: 'protocol', field: 'frame' });
    expect(remote.closed).toBe(true);
  });

  it('answers pings, times a pong, and ignores a pong it never asked for', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const remote = await openTo(t, dialer);
    remote.say({ type: 'ping', nonce: 41, sentAt: 123.5 });
    expect(remote.received.at(-1)).toEqual({ type: 'pong', nonce: 41, sentAt: 123.5 });
    remote.say({ type: 'pong', nonce: 999, sentAt: 0 });
    const rtt = t.ping('b');
    await until(() => remote.received.at(-1)?.type === 'ping');
    const ping = remote.received.at(-1) as Extract<WireMessage, { type: 'ping' }>;
    remote.say({ type: 'pong', nonce: ping.nonce, sentAt: ping.sentAt });
    expect(await rtt).toBeGreaterThanOrEqual(0);
  });

  it('a ping whose send fails rejects with that failure, and its unanswered pong rejects nowhere else', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const remote = await openTo(t, dialer);
    remote.closeChannel();
    await expect(t.ping('b')).rejects.toThrow("peer 'b': the channel closed");
    // Dropping the connection rejects the pong still awaited; an unhandled rejection would fail this test.
    remote.drop('failed');
    await new Promise((r) => setTimeout(r, 20));
    expect(t.connections()).toEqual([]);
  });

  it('a link lost by the remote fails sends to it fast until it is connected again on purpose', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    await openTo(t, dialer);
    dialer.remotes[0]!.drop('failed');
    expect(seen).toEqual([expect.objectContaining({ peerId: 'b', reason: 'failed' })]);
    await expect(t.send('b', { type: 'result:missing', requestId: 1, hash: 'h' })).rejects.toThrow(
      "peer 'b': the peer is gone (failed)",
    );
    expect(dialer.remotes).toHaveLength(1);
    await openTo(t, dialer, 1);
    expect(t.isOpen('b')).toBe(true);
  });

  it('a peer marked gone whose open channel does not answer a ping is dropped and not dialed for sends', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const remote = await openTo(t, dialer);
    t.markGone('b');
    await new Promise((r) => setTimeout(r, 10));
    // The ping went out; the channel is kept while it may still answer (5 s).
    expect(remote.received.at(-1)).toMatchObject({ type: 'ping' });
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 5_200));
    expect(seen).toEqual([expect.objectContaining({ peerId: 'b', reason: 'remote-closed' })]);
    expect(dialer.remotes[0]!.closed).toBe(true);
    await expect(t.ping('b')).rejects.toBeInstanceOf(PeerError);
    expect(dialer.remotes).toHaveLength(1);
  });

  it('a peer marked gone whose open channel answers a ping keeps it (a signaling restart)', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const remote = await openTo(t, dialer);
    t.markGone('b');
    await new Promise((r) => setTimeout(r, 10));
    const ping = remote.received.at(-1);
    if (ping?.type !== 'ping') throw new Error('no ping went out');
    remote.say({ type: 'pong', nonce: ping.nonce, sentAt: ping.sentAt });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    expect(t.isOpen('b')).toBe(true);
    await t.send('b', { type: 'run:cancel', runId: 'r', reason: 'test' });
    expect(remote.received.at(-1)).toMatchObject({ type: 'run:cancel', runId: 'r' });
  });

  it('a peer marked gone whose open channel stayed silent is dropped when it is marked back (a restart under its id)', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const old = await openTo(t, dialer);
    t.markGone('b');
    await new Promise((r) => setTimeout(r, 10));
    // A SIGKILLed process answers nothing, and a new one under the same id joins before the 5 s ping times out.
    t.markBack('b');
    expect(seen).toEqual([expect.objectContaining({ peerId: 'b', reason: 'remote-closed' })]);
    expect(old.closed).toBe(true);
    // The next send goes over a new link (to the new process), not down the old one.
    const sent = t.send('b', { type: 'run:cancel', runId: 'r', reason: 'test' });
    await new Promise((r) => setTimeout(r, 10));
    expect(dialer.remotes).toHaveLength(2);
    const fresh = dialer.remotes[1]!;
    fresh.hello('b');
    await sent;
    expect(fresh.received.at(-1)).toMatchObject({ type: 'run:cancel', runId: 'r' });
    expect(old.received.some((m) => m.type === 'run:cancel')).toBe(false);
  });

  it('a peer marked gone that answered since keeps its connection when it is marked back', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const remote = await openTo(t, dialer);
    t.markGone('b');
    await new Promise((r) => setTimeout(r, 10));
    const ping = remote.received.at(-1);
    if (ping?.type !== 'ping') throw new Error('no ping went out');
    remote.say({ type: 'pong', nonce: ping.nonce, sentAt: ping.sentAt });
    t.markBack('b');
    expect(seen).toEqual([]);
    expect(t.isOpen('b')).toBe(true);
    expect(dialer.remotes).toHaveLength(1);
  });

  it('an open link whose remote answers a ping is still linked and kept (a stale request for a new link)', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const remote = await openTo(t, dialer);
    const check = t.stillLinked('b', 1_000);
    await new Promise((r) => setTimeout(r, 10));
    const ping = remote.received.at(-1);
    if (ping?.type !== 'ping') throw new Error('no ping went out');
    remote.say({ type: 'pong', nonce: ping.nonce, sentAt: ping.sentAt });
    await expect(check).resolves.toBe(true);
    expect(seen).toEqual([]);
    expect(t.isOpen('b')).toBe(true);
  });

  it('an open link whose remote does not answer a ping in time is not still linked, and is dropped naming why', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    await openTo(t, dialer);
    await expect(t.stillLinked('b', 100)).resolves.toBe(false);
    expect(seen).toEqual([expect.objectContaining({ peerId: 'b', reason: 'remote-closed' })]);
    expect(seen[0]!.error?.message).toMatch(
      /asked for a new link and did not answer a ping.*no pong within 100 ms/,
    );
    expect(dialer.remotes[0]!.closed).toBe(true);
    // No connection at all: not linked, nothing dialed.
    await expect(t.stillLinked('c', 100)).resolves.toBe(false);
    expect(dialer.remotes).toHaveLength(1);
  });

  it('a peer marked gone without a connection fails sends fast until it is marked back', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    t.markGone('b');
    await expect(t.send('b', { type: 'ping', nonce: 1, sentAt: 0 })).rejects.toThrow(/gone/);
    expect(dialer.remotes).toHaveLength(0);
    t.markBack('b');
    const remote = await openTo(t, dialer);
    expect(remote.received[0]).toMatchObject({ type: 'hello', peerId: 'a' });
  });

  it('a remote that opens a new link while connected replaces the old connection', async () => {
    const dialer = scriptedDialer();
    const t = transport('a', dialer);
    const seen = disconnects(t);
    const first = await openTo(t, dialer);
    const second = new ScriptedRemote();
    t.accept('b', second.link);
    expect(first.closed).toBe(true);
    expect(seen).toEqual([expect.objectContaining({ peerId: 'b', reason: 'remote-closed' })]);
    expect(second.received[0]).toMatchObject({ type: 'hello', peerId: 'a' });
    second.hello('b');
    expect(t.isOpen('b')).toBe(true);
    // Frames on the replaced link are ignored.
    const got: WireMessage[] = [];
    t.onMessage((_, m) => got.push(m));
    first.say({ type: 'result:missing', requestId: 1, hash: 'old' });
    second.say({ type: 'result:missing', requestId: 2, hash: 'new' });
    expect(got).toEqual([{ type: 'result:missing', requestId: 2, hash: 'new' }]);
  });

  it('two peers connecting to each other at once end up with one working connection each', async () => {
    const network = new MemoryNetwork();
    const a = createMemoryTransport(network, 'a');
    const b = createMemoryTransport(network, 'b');
    open.push(a, b);
    await Promise.all([a.connect('b'), b.connect('a')]);
    expect(a.connections().map((c) => [c.peerId, c.state])).toEqual([['b', 'open']]);
    expect(b.connections().map((c) => [c.peerId, c.state])).toEqual([['a', 'open']]);
    const atB = new Promise<WireMessage>((resolve) => b.onMessage((_, m) => resolve(m)));
    const atA = new Promise<WireMessage>((resolve) => a.onMessage((_, m) => resolve(m)));
    await a.send('b', { type: 'result:missing', requestId: 1, hash: 'to-b' });
    await b.send('a', { type: 'result:missing', requestId: 2, hash: 'to-a' });
    expect(await atB).toMatchObject({ hash: 'to-b' });
    expect(await atA).toMatchObject({ hash: 'to-a' });
  });
});
