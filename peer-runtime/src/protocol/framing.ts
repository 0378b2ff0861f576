/**
 * Framing of encoded messages over an ordered, reliable data channel, with several messages in flight at once.
 *
 * Frame size: at most 64 KiB, and never above the channel's `sctp.maxMessageSize`.
 * - 64 KiB is the largest message every WebRTC stack has handled interoperably (RFC 8831 §6.6: without the
 *   SCTP ndata extension, a large message blocks its stream until fully sent; older Chrome/Firefox pairs failed
 *   above 64 KiB; @roamhq/wrtc silently closes a channel on messages above 256 KiB).
 * - `sctp.maxMessageSize` is what the remote side announced in its SDP (`a=max-message-size`); a larger
 *   message makes `send()` throw (Chrome) or kills the channel. node-datachannel announces 256 KiB.
 *
 * Format, per message (protocol version 3):
 * - a message that fits one frame: `[0x01][message bytes]`;
 * - otherwise it travels on a numbered stream: `[0x03][u16 BE stream][u32 BE total length][first bytes]`, then
 *   `[0x04][u16 BE stream][next bytes]` frames until `total length` bytes have arrived. Frames of different
 *   streams, and whole-frame messages, may come between them: that is what lets a small control message pass
 *   a 64 MiB result (issue 16; framed-sender.ts decides the order). Version 2's headerless continuation frames
 *   could not be interleaved, so a small message waited for the whole big one.
 * Every frame is a fresh copy (the stream header has to precede the bytes); a memcpy of 64 KiB is a few µs,
 * far below what the channel spends on it.
 *
 * The reassembler bounds what a hostile peer can make us hold: at most MAX_STREAMS messages in flight; each
 * declared length at most `maxMessageBytes` (a ProtocolError before any allocation); and all in-flight
 * messages but the largest together at most INTERLEAVE_BYTES. So a connection holds at most one maximal message
 * plus 32 MiB, which is what the sender (framed-sender.ts, the same constants) never exceeds.
 */
import { ProtocolError } from '../errors.js';
import type { EncodedMessage } from './codec.js';

export const FRAME_WHOLE = 0x01;
/** The first frame of a multi-frame message: kind, u16 stream, u32 total length, data. */
export const FRAME_OPEN = 0x03;
/** A later frame of a multi-frame message: kind, u16 stream, data. */
export const FRAME_MORE = 0x04;
const OPEN_HEADER = 7;
const MORE_HEADER = 3;
/** The interoperable ceiling for one data-channel message (see above). */
export const MAX_FRAME_SIZE = 64 * 1024;
/** Smallest frame we accept to use (an open frame needs 7 header bytes plus at least one data byte). */
export const MIN_FRAME_SIZE = 16;
/** Default bound on one message (a 100 MB result must pass). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Most multi-frame messages one connection may have in flight at once. */
export const MAX_STREAMS = 8;
/** Bound on the declared sizes of all in-flight messages but the largest (see the header). */
export const INTERLEAVE_BYTES = 32 * 1024 * 1024;

/** The frame size for a channel: 64 KiB unless the remote announced less. `maxMessageSize` 0/unknown = no limit announced. */
export function frameSizeFor(maxMessageSize: number | null | undefined): number {
  if (!maxMessageSize || !Number.isFinite(maxMessageSize) || maxMessageSize <= 0) return MAX_FRAME_SIZE;
  return Math.max(MIN_FRAME_SIZE, Math.min(MAX_FRAME_SIZE, Math.floor(maxMessageSize)));
}

/**
 * Whether messages of these declared sizes may be in flight together on one connection: the rule both the
 * sender and the reassembler apply (at most MAX_STREAMS, and all but the largest within INTERLEAVE_BYTES).
 */
export function mayInterleave(sizes: readonly number[]): boolean {
  if (sizes.length > MAX_STREAMS) return false;
  let sum = 0;
  let max = 0;
  for (const s of sizes) {
    sum += s;
    if (s > max) max = s;
  }
  return sum - max <= INTERLEAVE_BYTES;
}

/**
 * Splits one encoded message into frames of at most `frameSize` bytes, lazily (a 64 MiB message is 1,024
 * frames). A message that needs more than one frame travels on `stream`, which the sender keeps for it alone
 * until its last frame.
 */
export class FrameWriter {
  private offset = 0;
  private started = false;
  /** Part index and offset inside it where the next bytes start. */
  private cursor = 0;
  private cursorSkip = 0;

  constructor(
    private readonly message: EncodedMessage,
    private readonly frameSize: number,
    private readonly stream = 0,
  ) {
    if (frameSize < MIN_FRAME_SIZE)
      throw new RangeError(`frame size ${frameSize} is below ${MIN_FRAME_SIZE}`);
    if (message.byteLength > 0xffff_ffff) throw new RangeError('a message cannot exceed 4 GiB');
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffff)
      throw new RangeError(`stream ${stream} is not a u16`);
  }

  /** Whether the message needs more than one frame (and so a stream of its own). */
  static multiFrame(byteLength: number, frameSize: number): boolean {
    return byteLength + 1 > frameSize;
  }

  get done(): boolean {
    return this.started && this.offset >= this.message.byteLength;
  }

  /** Bytes not yet framed. */
  get remaining(): number {
    return this.message.byteLength - this.offset;
  }

  /** The next frame, or undefined when all were produced. */
  next(): Uint8Array | undefined {
    const { byteLength } = this.message;
    if (!this.started) {
      this.started = true;
      if (!FrameWriter.multiFrame(byteLength, this.frameSize)) {
        const frame = new Uint8Array(byteLength + 1);
        frame[0] = FRAME_WHOLE;
        this.copy(frame, 1, byteLength);
        return frame;
      }
      const frame = new Uint8Array(this.frameSize);
      const view = new DataView(frame.buffer);
      frame[0] = FRAME_OPEN;
      view.setUint16(1, this.stream);
      view.setUint32(3, byteLength);
      this.copy(frame, OPEN_HEADER, this.frameSize - OPEN_HEADER);
      return frame;
    }
    if (this.offset >= byteLength) return undefined;
    const length = Math.min(this.frameSize - MORE_HEADER, byteLength - this.offset);
    const frame = new Uint8Array(MORE_HEADER + length);
    frame[0] = FRAME_MORE;
    new DataView(frame.buffer).setUint16(1, this.stream);
    this.copy(frame, MORE_HEADER, length);
    return frame;
  }

  /** Copies the next `length` bytes of the message's parts into `out` at `at`, walking forward. */
  private copy(out: Uint8Array, at: number, length: number): void {
    const { parts } = this.message;
    let filled = 0;
    while (filled < length) {
      const part = parts[this.cursor]!;
      const take = Math.min(part.byteLength - this.cursorSkip, length - filled);
      out.set(part.subarray(this.cursorSkip, this.cursorSkip + take), at + filled);
      filled += take;
      this.cursorSkip += take;
      if (this.cursorSkip >= part.byteLength) {
        this.cursor++;
        this.cursorSkip = 0;
      }
    }
    this.offset += length;
  }
}

export interface ReassemblerOptions {
  /** Largest message accepted, in bytes. Default 256 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Turns frames back into messages. `push` returns a complete message's bytes, or undefined while every message
 * it touched is still arriving; it throws ProtocolError on a malformed frame, after which the channel should be
 * closed. Messages complete in the order their last frames arrive.
 */
export class Reassembler {
  private readonly maxMessageBytes: number;
  private readonly streams = new Map<number, { buffer: Uint8Array; filled: number }>();
  private pending = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes held for messages still arriving (0 when idle). */
  get pendingBytes(): number {
    return this.pending;
  }

  push(frame: Uint8Array): Uint8Array | undefined {
    const kind = frame[0];
    if (kind === FRAME_WHOLE) {
      if (frame.byteLength - 1 > this.maxMessageBytes)
        throw new ProtocolError('message above the size limit', 'frame');
      return frame.subarray(1);
    }
    if (kind === FRAME_OPEN) return this.open(frame);
    if (kind === FRAME_MORE) return this.more(frame);
    throw new ProtocolError(`unknown frame kind ${kind === undefined ? '(empty frame)' : kind}`, 'frame');
  }

  private open(frame: Uint8Array): undefined {
    if (frame.byteLength <= OPEN_HEADER)
      throw new ProtocolError(`open frame of ${frame.byteLength} bytes`, 'frame');
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const stream = view.getUint16(1);
    const total = view.getUint32(3);
    const first = frame.byteLength - OPEN_HEADER;
    if (this.streams.has(stream))
      throw new ProtocolError(`stream ${stream} opened while its message is still arriving`, 'frame');
    if (total > this.maxMessageBytes) {
      throw new ProtocolError(
        `a message of ${total} bytes exceeds the limit of ${this.maxMessageBytes}`,
        'frame',
      );
    }
    if (total <= first)
      throw new ProtocolError(`open frame declares ${total} bytes but carries ${first}`, 'frame');
    const sizes = [...this.streams.values()].map((s) => s.buffer.byteLength);
    sizes.push(total);
    if (!mayInterleave(sizes)) {
      throw new ProtocolError(
        `stream ${stream} of ${total} bytes is one more message in flight than allowed (${sizes.length - 1} ` +
          `holding ${this.pending} bytes; at most ${MAX_STREAMS}, all but the largest within ${INTERLEAVE_BYTES})`,
        'frame',
      );
    }
    const buffer = new Uint8Array(total);
    buffer.set(frame.subarray(OPEN_HEADER), 0);
    this.streams.set(stream, { buffer, filled: first });
    this.pending += total;
    return undefined;
  }

  private more(frame: Uint8Array): Uint8Array | undefined {
    if (frame.byteLength <= MORE_HEADER)
      throw new ProtocolError(`continuation frame of ${frame.byteLength} bytes`, 'frame');
    const stream = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint16(1);
    const s = this.streams.get(stream);
    if (!s) throw new ProtocolError(`continuation frame for stream ${stream}, which is not open`, 'frame');
    const data = frame.subarray(MORE_HEADER);
    const remaining = s.buffer.byteLength - s.filled;
    if (data.byteLength > remaining) {
      this.streams.delete(stream);
      this.pending -= s.buffer.byteLength;
      throw new ProtocolError(
        `continuation frame of ${data.byteLength} bytes on stream ${stream} where ${remaining} remained`,
        'frame',
      );
    }
    s.buffer.set(data, s.filled);
    s.filled += data.byteLength;
    if (s.filled < s.buffer.byteLength) return undefined;
    this.streams.delete(stream);
    this.pending -= s.buffer.byteLength;
    return s.buffer;
  }
}
