/**
 * Framing of encoded messages over an ordered, reliable data channel.
 *
 * Frame size: at most 64 KiB, and never above the channel's `sctp.maxMessageSize`.
 * - 64 KiB is the largest message every WebRTC stack has handled interoperably (RFC 8831 §6.6: without the
 *   SCTP ndata extension, a large message blocks its stream until fully sent; older Chrome/Firefox pairs failed
 *   above 64 KiB; @roamhq/wrtc silently closes a channel on messages above 256 KiB).
 * - `sctp.maxMessageSize` is what the remote side announced in its SDP (`a=max-message-size`); a larger
 *   message makes `send()` throw (Chrome) or kills the channel. node-datachannel announces 256 KiB.
 *
 * Format, per message:
 * - a message that fits one frame: `[0x01][message bytes]`;
 * - otherwise `[0x02][u32 BE total length][first bytes]`, then raw continuation frames carrying the rest,
 *   with no header at all, until `total length` bytes have arrived.
 * Continuation frames are views of the message's own parts (no copy on the way out). This relies on the channel
 * being ordered and on one message being sent at a time, which framed-sender.ts guarantees (delivery order is
 * send order, which the layers above rely on too).
 *
 * The reassembler bounds what a hostile peer can make us hold: a declared length above `maxMessageBytes` is a
 * ProtocolError before any allocation, and only one message is ever in flight per channel.
 */
import { ProtocolError } from '../errors.js';
import type { EncodedMessage } from './codec.js';

export const FRAME_WHOLE = 0x01;
export const FRAME_START = 0x02;
/** The interoperable ceiling for one data-channel message (see above). */
export const MAX_FRAME_SIZE = 64 * 1024;
/** Smallest frame we accept to use (a START frame needs 5 header bytes plus at least one data byte). */
export const MIN_FRAME_SIZE = 16;
/** Default bound on one message (a 100 MB result must pass). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** The frame size for a channel: 64 KiB unless the remote announced less. `maxMessageSize` 0/unknown = no limit announced. */
export function frameSizeFor(maxMessageSize: number | null | undefined): number {
  if (!maxMessageSize || !Number.isFinite(maxMessageSize) || maxMessageSize <= 0) return MAX_FRAME_SIZE;
  return Math.max(MIN_FRAME_SIZE, Math.min(MAX_FRAME_SIZE, Math.floor(maxMessageSize)));
}

/** `length` bytes from byte `offset` of the concatenated parts: a view when one part holds them all, else a copy. */
function slice(parts: readonly Uint8Array[], offset: number, length: number): Uint8Array {
  let skip = offset;
  let i = 0;
  while (i < parts.length && skip >= parts[i]!.byteLength) skip -= parts[i++]!.byteLength;
  const first = parts[i];
  if (first && skip + length <= first.byteLength) return first.subarray(skip, skip + length);
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length && i < parts.length) {
    const part = parts[i++]!;
    const take = Math.min(part.byteLength - skip, length - filled);
    out.set(part.subarray(skip, skip + take), filled);
    filled += take;
    skip = 0;
  }
  return out;
}

/** Splits one encoded message into frames of at most `frameSize` bytes, lazily (a 64 MiB message is 1,024 frames). */
export class FrameWriter {
  private offset = 0;
  private started = false;
  /** Part index and offset inside it where the next continuation frame starts (set after the start frame). */
  private cursor = 0;
  private cursorSkip = 0;
  private positioned = false;

  constructor(
    private readonly message: EncodedMessage,
    private readonly frameSize: number,
  ) {
    if (frameSize < MIN_FRAME_SIZE)
      throw new RangeError(`frame size ${frameSize} is below ${MIN_FRAME_SIZE}`);
    if (message.byteLength > 0xffff_ffff) throw new RangeError('a message cannot exceed 4 GiB');
  }

  get done(): boolean {
    return this.started && this.offset >= this.message.byteLength;
  }

  /** The next frame, or undefined when all were produced. */
  next(): Uint8Array | undefined {
    const { parts, byteLength } = this.message;
    if (!this.started) {
      this.started = true;
      if (byteLength + 1 <= this.frameSize) {
        const frame = new Uint8Array(byteLength + 1);
        frame[0] = FRAME_WHOLE;
        frame.set(slice(parts, 0, byteLength), 1);
        this.offset = byteLength;
        return frame;
      }
      const first = this.frameSize - 5;
      const frame = new Uint8Array(this.frameSize);
      frame[0] = FRAME_START;
      new DataView(frame.buffer).setUint32(1, byteLength);
      frame.set(slice(parts, 0, first), 5);
      this.offset = first;
      return frame;
    }
    if (this.offset >= byteLength) return undefined;
    const length = Math.min(this.frameSize, byteLength - this.offset);
    const frame = this.continuation(length);
    this.offset += length;
    return frame;
  }

  /** Like `slice`, but walks forward from where the last frame ended instead of from the first part. */
  private continuation(length: number): Uint8Array {
    const { parts } = this.message;
    if (!this.positioned) {
      this.positioned = true;
      let skip = this.offset;
      while (this.cursor < parts.length && skip >= parts[this.cursor]!.byteLength)
        skip -= parts[this.cursor++]!.byteLength;
      this.cursorSkip = skip;
    }
    const part = parts[this.cursor]!;
    let frame: Uint8Array;
    if (this.cursorSkip + length <= part.byteLength) {
      frame = part.subarray(this.cursorSkip, this.cursorSkip + length);
    } else {
      frame = slice(parts.slice(this.cursor), this.cursorSkip, length);
    }
    let skip = this.cursorSkip + length;
    while (this.cursor < parts.length && skip >= parts[this.cursor]!.byteLength)
      skip -= parts[this.cursor++]!.byteLength;
    this.cursorSkip = skip;
    return frame;
  }
}

export interface ReassemblerOptions {
  /** Largest message accepted, in bytes. Default 256 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Turns frames back into messages. `push` returns a complete message's bytes, or undefined while one is still
 * arriving; it throws ProtocolError on a malformed frame, after which the channel should be closed.
 */
export class Reassembler {
  private readonly maxMessageBytes: number;
  private buffer: Uint8Array | undefined;
  private filled = 0;

  constructor(options: ReassemblerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes held for a message still arriving (0 when idle). */
  get pendingBytes(): number {
    return this.buffer?.byteLength ?? 0;
  }

  push(frame: Uint8Array): Uint8Array | undefined {
    if (this.buffer) {
      const remaining = this.buffer.byteLength - this.filled;
      if (frame.byteLength === 0 || frame.byteLength > remaining) {
        this.buffer = undefined;
        throw new ProtocolError(
          `continuation frame of ${frame.byteLength} bytes where ${remaining} remained`,
          'frame',
        );
      }
      this.buffer.set(frame, this.filled);
      this.filled += frame.byteLength;
      if (this.filled < this.buffer.byteLength) return undefined;
      const message = this.buffer;
      this.buffer = undefined;
      return message;
    }
    const kind = frame[0];
    if (kind === FRAME_WHOLE) {
      if (frame.byteLength - 1 > this.maxMessageBytes)
        throw new ProtocolError('message above the size limit', 'frame');
      return frame.subarray(1);
    }
    if (kind === FRAME_START) {
      if (frame.byteLength < 6) throw new ProtocolError(`start frame of ${frame.byteLength} bytes`, 'frame');
      const total = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
      const first = frame.byteLength - 5;
      if (total > this.maxMessageBytes) {
        throw new ProtocolError(
          `a message of ${total} bytes exceeds the limit of ${this.maxMessageBytes}`,
          'frame',
        );
      }
      if (total <= first)
        throw new ProtocolError(`start frame declares ${total} bytes but carries ${first}`, 'frame');
      this.buffer = new Uint8Array(total);
      this.buffer.set(frame.subarray(5), 0);
      this.filled = first;
      return undefined;
    }
    throw new ProtocolError(`unknown frame kind ${kind === undefined ? '(empty frame)' : kind}`, 'frame');
  }
}
