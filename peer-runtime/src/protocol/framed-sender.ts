/**
 * Sends encoded messages over a data channel as frames (framing.ts), in two lanes, with backpressure on
 * `bufferedAmount`.
 *
 * Lanes (issue 16, goal 5: small messages never wait behind big ones):
 * - `control` (the default): every message whose order matters (assignments, results, events, pings). They go
 *   out in call order, one after another, and a control frame always goes before any bulk frame.
 * - `bulk`: messages nobody orders against others (a `result:data` answering one fetch, matched by its request
 *   id). Up to MAX_BULK_STREAMS of them are in flight at once, a frame each in turn, each on its own stream
 *   (framing.ts), and only in the gaps the control lane leaves. So a 64 MiB result no longer holds back the
 *   control message sent after it, nor a small result fetched after it.
 *
 * Why backpressure: `RTCDataChannel.send()` never blocks; it queues. Chrome closes a channel whose send buffer
 * passes about 16 MB, and even where nothing closes, queueing a 100 MB result up front holds it twice in
 * memory. So control frames are handed over only while `bufferedAmount <= highWaterMark`, and bulk frames only
 * while it is at most `bulkHighWaterMark` (1 MiB by default): what the channel already holds cannot be
 * overtaken, so the bulk lane keeps it short — a control message then waits behind at most ~1 MiB (~25 ms at
 * this machine's 40 MB/s) rather than 4 MiB. Above the mark the sender waits for the channel's
 * `bufferedamountlow` event (fired when the buffer drains to `bufferedAmountLowThreshold`, which we set to the
 * lower of the two low marks). A slow poll backs the event up, because some stacks (@roamhq/wrtc) never fire it.
 */
import type { EncodedMessage } from './codec.js';
import { FrameWriter, mayInterleave } from './framing.js';

/** What we need of an RTCDataChannel (browser, node-datachannel polyfill, or the in-memory one). */
export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: Uint8Array): void;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

/** `control`: in order, first. `bulk`: may be overtaken and interleaved (see the header). */
export type SendLane = 'control' | 'bulk';

export interface FramedSenderOptions {
  /** Frame size in bytes (framing.ts `frameSizeFor(sctp.maxMessageSize)`). */
  readonly frameSize: number;
  /** Stop handing control frames to the channel above this many buffered bytes. Default 4 MiB (well under Chrome's ~16 MB). */
  readonly highWaterMark?: number;
  /** Resume when the buffer drains to this. Default 1 MiB: enough left queued to keep the link busy meanwhile. */
  readonly lowWaterMark?: number;
  /** Stop handing bulk frames to the channel above this. Default the lower of 1 MiB and `highWaterMark`. */
  readonly bulkHighWaterMark?: number;
  /** Builds the error pending sends reject with when the channel fails. */
  readonly makeError?: (reason: string, cause?: unknown) => Error;
}

interface Pending {
  readonly message: EncodedMessage;
  /** Made when the message's first frame goes (a multi-frame message gets its stream then). */
  writer: FrameWriter | undefined;
  /** The stream of a started multi-frame message, else -1. */
  stream: number;
  resolve(): void;
  reject(error: Error): void;
}

const DRAIN_POLL_MS = 100;
/** Bulk messages in flight at once per channel (framing.ts allows MAX_STREAMS, one more for the control lane). */
export const MAX_BULK_STREAMS = 4;

export class FramedSender {
  private readonly control: Pending[] = [];
  private readonly bulkWaiting: Pending[] = [];
  private readonly bulkOpen: Pending[] = [];
  private turn = 0;
  private readonly streams = new Set<number>();
  private nextStream = 0;
  private readonly high: number;
  private readonly bulkHigh: number;
  private readonly makeError: (reason: string, cause?: unknown) => Error;
  private waiting = false;
  private pumping = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private closedWith: Error | undefined;
  private queued = 0;

  constructor(
    private readonly channel: DataChannelLike,
    private readonly options: FramedSenderOptions,
  ) {
    this.high = options.highWaterMark ?? 4 * 1024 * 1024;
    const low = Math.min(options.lowWaterMark ?? 1024 * 1024, this.high);
    this.bulkHigh = Math.min(options.bulkHighWaterMark ?? 512 * 1024, this.high);
    this.makeError = options.makeError ?? ((reason, cause) => new Error(reason, { cause }));
    channel.bufferedAmountLowThreshold = Math.min(low, Math.floor(this.bulkHigh / 4));
    channel.addEventListener('bufferedamountlow', this.onDrain);
    channel.addEventListener('close', this.onClose);
  }

  /** Bytes accepted by `send` and not yet handed to the channel. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True while a message is queued or being sent. */
  get busy(): boolean {
    return this.control.length > 0 || this.bulkOpen.length > 0 || this.bulkWaiting.length > 0;
  }

  /** Resolves when the message's last frame has been handed to the channel. */
  send(message: EncodedMessage, lane: SendLane = 'control'): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { message, writer: undefined, stream: -1, resolve, reject };
      (lane === 'bulk' ? this.bulkWaiting : this.control).push(p);
      this.queued += message.byteLength;
      this.pump();
    });
  }

  /** Rejects everything pending and stops. Idempotent. */
  close(error: Error = this.makeError('the channel closed')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.stopWaiting();
    this.channel.removeEventListener('bufferedamountlow', this.onDrain);
    this.channel.removeEventListener('close', this.onClose);
    for (const queue of [this.control, this.bulkOpen, this.bulkWaiting])
      for (const p of queue.splice(0)) p.reject(error);
    this.streams.clear();
    this.queued = 0;
  }

  private readonly onDrain = (): void => {
    if (!this.waiting) return;
    this.stopWaiting();
    this.pump();
  };

  private readonly onClose = (): void => {
    this.close(this.makeError('the channel closed'));
  };

  private stopWaiting(): void {
    this.waiting = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private wait(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.pollTimer = setInterval(() => {
      if (this.channel.bufferedAmount <= this.channel.bufferedAmountLowThreshold) this.onDrain();
    }, DRAIN_POLL_MS);
  }

  /**
   * Gives `p` its writer, and a stream when it needs several frames, unless that would put more messages in
   * flight than the receiver accepts (framing.ts `mayInterleave`); false then, and `p` waits for one to finish.
   */
  private start(p: Pending): boolean {
    const { frameSize } = this.options;
    if (!FrameWriter.multiFrame(p.message.byteLength, frameSize)) {
      p.writer = new FrameWriter(p.message, frameSize);
      return true;
    }
    const sizes = [p.message.byteLength];
    const head = this.control[0];
    if (head && head !== p && head.stream >= 0) sizes.push(head.message.byteLength);
    for (const b of this.bulkOpen) sizes.push(b.message.byteLength);
    if (!mayInterleave(sizes)) return false;
    while (this.streams.has(this.nextStream)) this.nextStream = (this.nextStream + 1) & 0xffff;
    p.stream = this.nextStream;
    this.nextStream = (this.nextStream + 1) & 0xffff;
    this.streams.add(p.stream);
    p.writer = new FrameWriter(p.message, frameSize, p.stream);
    return true;
  }

  /** Hands `p`'s next frame to the channel; true when that was its last. False also when the send failed. */
  private sendFrame(p: Pending): boolean {
    const writer = p.writer!;
    const frame = writer.next();
    if (frame) {
      try {
        this.channel.send(frame);
      } catch (err) {
        this.close(this.makeError(`send failed: ${(err as Error).message}`, err));
        return false;
      }
    }
    if (!writer.done) return false;
    if (p.stream >= 0) this.streams.delete(p.stream);
    this.queued -= p.message.byteLength;
    p.resolve();
    return true;
  }

  private pump(): void {
    // A resolve inside the loop runs its callbacks later (promises), but a send from a channel callback could
    // still land here while the loop runs: one loop at a time.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closedWith) {
        const buffered = this.channel.bufferedAmount;
        const head = this.control[0];
        if (head && buffered <= this.high && (head.writer || this.start(head))) {
          if (this.sendFrame(head)) this.control.shift();
          continue;
        }
        if (buffered <= this.bulkHigh) {
          while (
            this.bulkWaiting.length > 0 &&
            this.bulkOpen.length < MAX_BULK_STREAMS &&
            this.start(this.bulkWaiting[0]!)
          )
            this.bulkOpen.push(this.bulkWaiting.shift()!);
          if (this.bulkOpen.length > 0) {
            this.turn = this.turn % this.bulkOpen.length;
            const p = this.bulkOpen[this.turn]!;
            if (this.sendFrame(p)) this.bulkOpen.splice(this.turn, 1);
            else this.turn++;
            continue;
          }
        }
        // Nothing may go now: over a watermark (or waiting for a stream that only a drain lets finish).
        if (this.busy) this.wait();
        return;
      }
    } finally {
      this.pumping = false;
    }
  }
}
