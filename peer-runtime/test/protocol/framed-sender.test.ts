/**
 * FramedSender's backpressure against a channel whose `bufferedAmount` the test controls: frames stop at the
 * high-water mark (at most one frame beyond it), and a send resumes, and resolves, only once the buffer drains.
 * The same is asserted over a real node-datachannel connection in test/framed-sender-webrtc.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/protocol/codec.js';
import { type DataChannelLike, FramedSender } from '../../src/protocol/framed-sender.js';
import { Reassembler } from '../../src/protocol/framing.js';
import type { WireMessage } from '../../src/protocol/messages.js';

type Event = 'bufferedamountlow' | 'close';

/** A channel that only buffers: every frame sent adds to `bufferedAmount` until the test drains it. */
class BufferingChannel implements DataChannelLike {
  readyState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  /** Largest `bufferedAmount` right after a send. */
  peak = 0;
  readonly frames: Uint8Array[] = [];
  private readonly listeners = new Map<Event, Set<() => void>>();

  send(data: Uint8Array): void {
    this.frames.push(data.slice());
    this.bufferedAmount += data.byteLength;
    this.peak = Math.max(this.peak, this.bufferedAmount);
  }

  addEventListener(type: Event, listener: () => void): void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener);
  }

  removeEventListener(type: Event, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  /** The network took `bytes` (all by default); fires `bufferedamountlow` as a browser does, unless `silent`. */
  drain(bytes = this.bufferedAmount, silent = false): void {
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, this.bufferedAmount - bytes);
    const crossed =
      before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold;
    if (crossed && !silent) this.fire('bufferedamountlow');
  }

  /** Dispatches `type` to the listeners, as the channel itself would. */
  fire(type: Event): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l();
  }

  listenerCount(type: Event): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}

const FRAME = 1024;
const HIGH = 8 * 1024;
const LOW = 2 * 1024;
const data = (n: number): WireMessage => ({
  type: 'result:data',
  requestId: n,
  hash: 'h',
  bytes: new Uint8Array(n).map((_, i) => i % 251),
});
/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

function tracked(promise: Promise<void>): { readonly done: boolean; readonly promise: Promise<void> } {
  const state = { done: false, promise };
  promise.then(() => {
    state.done = true;
  });
  return state;
}

describe('FramedSender backpressure', () => {
  it('hands over frames up to the high-water mark, never more than one frame beyond it', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, { frameSize: FRAME, highWaterMark: HIGH, lowWaterMark: LOW });
    const sending = sender.send(encodeMessage(data(100 * 1024)));
    expect(channel.bufferedAmount).toBeGreaterThan(HIGH);
    expect(channel.peak).toBeLessThanOrEqual(HIGH + FRAME);
    expect(channel.frames.length).toBe(Math.floor(HIGH / FRAME) + 1);
    expect(channel.bufferedAmountLowThreshold).toBe(LOW);
    sender.close(new Error('test over'));
    await expect(sending).rejects.toThrow('test over');
  });

  it('a send waits for the buffer to drain, resumes on bufferedamountlow, and resolves after its last frame', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, { frameSize: FRAME, highWaterMark: HIGH, lowWaterMark: LOW });
    const message = encodeMessage(data(64 * 1024));
    const sending = tracked(sender.send(message));
    const reassembler = new Reassembler();
    let whole: Uint8Array | undefined;
    let rounds = 0;
    while (!sending.done) {
      const sent = channel.frames.length;
      await settle();
      // Above the mark nothing more goes out, however long we wait.
      expect(channel.frames.length).toBe(sent);
      expect(sending.done).toBe(false);
      expect(sender.queuedBytes).toBe(message.byteLength);
      // The network takes part of the buffer, not yet down to the low mark: still nothing.
      channel.drain(channel.bufferedAmount - LOW - 1);
      await settle();
      expect(channel.frames.length).toBe(sent);
      // Down to the low mark: the sender resumes.
      channel.drain();
      await settle();
      expect(channel.peak).toBeLessThanOrEqual(HIGH + FRAME);
      for (const frame of channel.frames.splice(0)) whole = reassembler.push(frame) ?? whole;
      rounds++;
      if (rounds > 100) throw new Error('the send never finished');
    }
    await sending.promise;
    expect(rounds).toBeGreaterThan(1);
    expect(sender.queuedBytes).toBe(0);
    expect(sender.busy).toBe(false);
    expect(whole?.byteLength).toBe(message.byteLength);
  });

  it('messages queued behind a waiting one go out after it, in order', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, { frameSize: FRAME, highWaterMark: HIGH, lowWaterMark: LOW });
    const order: number[] = [];
    const sends = [40 * 1024, 10, 20 * 1024].map((n) =>
      sender.send(encodeMessage(data(n))).then(() => order.push(n)),
    );
    const reassembler = new Reassembler();
    const received: number[] = [];
    for (let i = 0; i < 100 && received.length < 3; i++) {
      for (const frame of channel.frames.splice(0)) {
        const bytes = reassembler.push(frame);
        if (bytes) received.push(bytes.byteLength);
      }
      expect(channel.peak).toBeLessThanOrEqual(HIGH + FRAME);
      channel.drain();
      await settle();
    }
    await Promise.all(sends);
    expect(order).toEqual([40 * 1024, 10, 20 * 1024]);
    expect(received).toHaveLength(3);
    expect(received[0]).toBeGreaterThan(received[2]!);
    expect(received[1]).toBeLessThan(100);
  });

  it('resumes by polling when the channel never fires bufferedamountlow', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, { frameSize: FRAME, highWaterMark: HIGH, lowWaterMark: LOW });
    const sending = tracked(sender.send(encodeMessage(data(12 * 1024))));
    expect(sending.done).toBe(false);
    channel.drain(channel.bufferedAmount, true);
    const sent = channel.frames.length;
    await expect.poll(() => channel.frames.length, { timeout: 2_000, interval: 10 }).toBeGreaterThan(sent);
    channel.drain(channel.bufferedAmount, true);
    await expect.poll(() => sending.done, { timeout: 2_000, interval: 10 }).toBe(true);
    expect(channel.peak).toBeLessThanOrEqual(HIGH + FRAME);
  });

  it('a channel that closes while a send waits rejects it and everything queued, and stops listening', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, {
      frameSize: FRAME,
      highWaterMark: HIGH,
      lowWaterMark: LOW,
      makeError: (reason) => new Error(`peer 'p': ${reason}`),
    });
    const waiting = sender.send(encodeMessage(data(64 * 1024)));
    const queued = sender.send(encodeMessage(data(10)));
    expect(channel.listenerCount('bufferedamountlow')).toBe(1);
    channel.fire('close');
    await expect(waiting).rejects.toThrow("peer 'p': the channel closed");
    await expect(queued).rejects.toThrow("peer 'p': the channel closed");
    await expect(sender.send(encodeMessage(data(1)))).rejects.toThrow("peer 'p': the channel closed");
    expect(channel.listenerCount('bufferedamountlow')).toBe(0);
    expect(channel.listenerCount('close')).toBe(0);
    expect(sender.queuedBytes).toBe(0);
  });
});

/** Frame kind and stream of each frame (framing.ts): `W` whole, `O<stream>` open, `M<stream>` more. */
const kinds = (frames: readonly Uint8Array[]): string[] =>
  frames.map((f) =>
    f[0] === 0x01 ? 'W' : `${f[0] === 0x03 ? 'O' : 'M'}${new DataView(f.buffer, f.byteOffset).getUint16(1)}`,
  );

describe('FramedSender lanes (issue 16: small messages never wait behind big ones)', () => {
  /** Drains the channel turn by turn, reassembling what it carried; the messages in arrival order. */
  async function deliver(
    channel: BufferingChannel,
    until: () => boolean,
    seen: string[] = [],
  ): Promise<Uint8Array[]> {
    const reassembler = new Reassembler();
    const out: Uint8Array[] = [];
    const take = () => {
      const frames = channel.frames.splice(0);
      seen.push(...kinds(frames));
      for (const frame of frames) {
        const bytes = reassembler.push(frame);
        if (bytes) out.push(bytes);
      }
    };
    for (let i = 0; i < 500 && !until(); i++) {
      take();
      channel.drain();
      await settle();
    }
    take();
    return out;
  }
  const options = { frameSize: FRAME, highWaterMark: HIGH, lowWaterMark: LOW, bulkHighWaterMark: 2 * FRAME };

  it('a small message sent after a big bulk one arrives before the big one completes', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, options);
    const big = tracked(sender.send(encodeMessage(data(64 * 1024)), 'bulk'));
    const small = tracked(sender.send(encodeMessage({ type: 'ping', nonce: 7, sentAt: 1 })));
    // The small one went at once, behind only what the channel already held.
    expect(small.done || kinds(channel.frames).at(-1) === 'W').toBe(true);
    const arrived = await deliver(channel, () => big.done);
    await Promise.all([big.promise, small.promise]);
    expect(arrived.map((m) => m.byteLength > 1000)).toEqual([false, true]);
  });

  it('a control message queued while a bulk transfer waits on the buffer goes out first', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, options);
    const big = tracked(sender.send(encodeMessage(data(64 * 1024)), 'bulk'));
    const before = channel.frames.length;
    // Mid-transfer (the bulk lane is waiting above its mark): a batch-sized control message of several frames.
    const control = tracked(sender.send(encodeMessage(data(3 * 1024))));
    const sentNow = kinds(channel.frames.slice(before));
    expect(sentNow[0]).toMatch(/^O/);
    expect(sentNow.every((k) => k.slice(1) === sentNow[0]!.slice(1))).toBe(true); // only the control stream
    const arrived = await deliver(channel, () => big.done && control.done);
    expect(arrived.map((m) => m.byteLength < 10 * 1024)).toEqual([true, false]);
  });

  it('several bulk messages are in flight at once, each on its own stream, and all arrive whole', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, options);
    const sizes = [30 * 1024, 20 * 1024, 10 * 1024];
    const sends = sizes.map((n) => tracked(sender.send(encodeMessage(data(n)), 'bulk')));
    const seen: string[] = [];
    const arrived = await deliver(channel, () => sends.every((s) => s.done), seen);
    // Every stream opened before the first one's last frame went.
    const lastOfFirst = seen.lastIndexOf('M0');
    expect(seen.indexOf('O1')).toBeLessThan(lastOfFirst);
    expect(seen.indexOf('O2')).toBeLessThan(lastOfFirst);
    // Round-robin: the smallest finishes first though it was sent last.
    expect(arrived.map((m) => m.byteLength)).toEqual(
      [...arrived.map((m) => m.byteLength)].sort((a, b) => a - b),
    );
    expect(arrived).toHaveLength(3);
    expect(sender.busy).toBe(false);
  });

  it('control messages keep their order among themselves, however large', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, options);
    const sizes = [40 * 1024, 10, 20 * 1024, 5];
    const sends = sizes.map((n) => tracked(sender.send(encodeMessage(data(n)))));
    const arrived = await deliver(channel, () => sends.every((s) => s.done));
    const order = arrived.map((m) => m.byteLength);
    expect(order[0]).toBeGreaterThan(order[2]!);
    expect(order[1]).toBeLessThan(100);
    expect(order[3]).toBeLessThan(order[1]!);
  });

  it('bulk frames stop at the bulk mark while control frames may fill the buffer to the high mark', async () => {
    const channel = new BufferingChannel();
    const sender = new FramedSender(channel, {
      frameSize: FRAME,
      highWaterMark: HIGH,
      lowWaterMark: LOW,
      bulkHighWaterMark: 2 * FRAME,
    });
    void sender.send(encodeMessage(data(64 * 1024)), 'bulk').catch(() => {});
    expect(channel.peak).toBeLessThanOrEqual(3 * FRAME);
    void sender.send(encodeMessage(data(64 * 1024))).catch(() => {});
    expect(channel.peak).toBeGreaterThan(HIGH);
    expect(channel.peak).toBeLessThanOrEqual(HIGH + FRAME);
    sender.close(new Error('test over'));
  });
});
