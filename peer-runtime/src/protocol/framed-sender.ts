/**
 * Sends encoded messages over a data channel as frames (framing.ts), one message at a time in call order,
 * with backpressure on `bufferedAmount`.
 *
 * Why backpressure: `RTCDataChannel.send()` never blocks; it queues. Chrome closes a channel whose send buffer
 * passes about 16 MB, and even where nothing closes, queueing a 100 MB result up front holds it twice in
 * memory and starves every other message on the link. So frames are handed over only while
 * `bufferedAmount <= highWaterMark`; above it the sender waits for the channel's `bufferedamountlow` event
 * (fired when the buffer drains to `bufferedAmountLowThreshold`, which we set to `lowWaterMark`). A slow poll
 * backs the event up, because some stacks (@roamhq/wrtc) never fire it.
 */
import type { EncodedMessage } from './codec.js';
import { FrameWriter } from './framing.js';

/** What we need of an RTCDataChannel (browser, node-datachannel polyfill, or the in-memory one). */
export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: Uint8Array): void;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

export interface FramedSenderOptions {
  /** Frame size in bytes (framing.ts `frameSizeFor(sctp.maxMessageSize)`). */
  readonly frameSize: number;
  /** Stop handing frames to the channel above this many buffered bytes. Default 4 MiB (well under Chrome's ~16 MB). */
  readonly highWaterMark?: number;
  /** Resume when the buffer drains to this. Default 1 MiB: enough left queued to keep the link busy meanwhile. */
  readonly lowWaterMark?: number;
  /** Builds the error pending sends reject with when the channel fails. */
  readonly makeError?: (reason: string, cause?: unknown) => Error;
}

interface Pending {
  readonly writer: FrameWriter;
  readonly bytes: number;
  resolve(): void;
  reject(error: Error): void;
}

const DRAIN_POLL_MS = 100;

export class FramedSender {
  private readonly queue: Pending[] = [];
  private readonly high: number;
  private readonly low: number;
  private readonly makeError: (reason: string, cause?: unknown) => Error;
  private waiting = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private closedWith: Error | undefined;
  private queued = 0;

  constructor(
    private readonly channel: DataChannelLike,
    private readonly options: FramedSenderOptions,
  ) {
    this.high = options.highWaterMark ?? 4 * 1024 * 1024;
    this.low = Math.min(options.lowWaterMark ?? 1024 * 1024, this.high);
    this.makeError = options.makeError ?? ((reason, cause) => new Error(reason, { cause }));
    channel.bufferedAmountLowThreshold = this.low;
    channel.addEventListener('bufferedamountlow', this.onDrain);
    channel.addEventListener('close', this.onClose);
  }

  /** Bytes accepted by `send` and not yet handed to the channel. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True while a message is queued or being sent. */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  /** Resolves when the message's last frame has been handed to the channel. */
  send(message: EncodedMessage): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        writer: new FrameWriter(message, this.options.frameSize),
        bytes: message.byteLength,
        resolve,
        reject,
      });
      this.queued += message.byteLength;
      if (this.queue.length === 1 && !this.waiting) this.pump();
    });
  }

  /** Rejects everything pending and stops. Idempotent. */
  close(error: Error = this.makeError('the channel closed')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.stopWaiting();
    this.channel.removeEventListener('bufferedamountlow', this.onDrain);
    this.channel.removeEventListener('close', this.onClose);
    for (const p of this.queue.splice(0)) p.reject(error);
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

  private pump(): void {
    while (this.queue.length > 0 && !this.closedWith) {
      if (this.channel.bufferedAmount > this.high) {
        this.waiting = true;
        this.pollTimer = setInterval(() => {
          if (this.channel.bufferedAmount <= this.low) this.onDrain();
        }, DRAIN_POLL_MS);
        return;
      }
      const head = this.queue[0]!;
      const frame = head.writer.next();
      if (frame) {
        try {
          this.channel.send(frame);
        } catch (err) {
          this.close(this.makeError(`send failed: ${(err as Error).message}`, err));
          return;
        }
      }
      if (head.writer.done) {
        this.queue.shift();
        this.queued -= head.bytes;
        head.resolve();
      }
    }
  }
}
