/**
 * One connection of the framed transport (framed-transport.ts) to one remote peer: its state, the frame link
 * under it with that link's sender and reassembler, the promise callers wait on until the remote `hello` checks
 * out, and the pings waiting for their pong. The transport decides when a connection opens, is replaced or is
 * dropped; this class only keeps one connection's parts consistent while it does.
 */
import { PeerError } from '../errors.js';
import { decodeMessage } from '../protocol/codec.js';
import { FramedSender } from '../protocol/framed-sender.js';
import { Reassembler } from '../protocol/framing.js';
import type { WireMessage } from '../protocol/messages.js';
import type { FrameLink } from './frame-link.js';
import type { ConnectionInfo } from './types.js';

/** The error of everything about one peer's connection: a PeerError naming the peer in its message too. */
export function peerError(peerId: string, message: string, cause?: unknown): PeerError {
  return new PeerError(peerId, `peer '${peerId}': ${message}`, { cause });
}

/** What a connection's sender and reassembler are built with: TransportOptions' fields of the same names. */
export interface ConnectionLimits {
  /** Largest message accepted from the peer, bytes. Default 256 MiB (framing.ts). */
  readonly maxMessageBytes?: number;
  /** Stop handing frames to the channel above this many buffered bytes. Default 4 MiB (framed-sender.ts). */
  readonly highWaterMark?: number;
  /** Resume when the channel's buffer drains to this. Default 1 MiB (framed-sender.ts). */
  readonly lowWaterMark?: number;
}

interface PendingPing {
  resolve(rttMs: number): void;
  reject(error: Error): void;
}

export class Connection {
  state: 'connecting' | 'open' = 'connecting';
  /** The link in use; undefined while dialing. A replaced link's events are ignored (see `attach`). */
  link: FrameLink | undefined;
  sender: FramedSender | undefined;
  /** Epoch ms of the last message sent or received. */
  lastActivity = Date.now();
  /** Order of last activity across connections (timestamps tie within a millisecond). */
  activity: number;
  /**
   * Aborted when the connection is dropped or gets its link: stops a dial in progress, and its retries. A dial
   * whose attempt timed out goes on retrying while the link that attempt asked for may still open and be adopted
   * (`attach`); a retry then would ask the remote for a new link, and a WebRTC remote tears down the open one,
   * with whatever it was sending, to make it (webrtc.ts, 'renegotiate').
   */
  readonly abort = new AbortController();
  /** Settles once: resolved by the remote hello, rejected when the connection is dropped before or after. */
  readonly ready: Promise<void>;
  private reassembler: Reassembler;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  private readonly pings = new Map<number, PendingPing>();

  /**
   * @param outgoing true when this side dialed (for the glare rule)
   * @param activity the transport's activity order at creation
   */
  constructor(
    readonly peerId: string,
    readonly outgoing: boolean,
    activity: number,
    private readonly limits: ConnectionLimits,
  ) {
    this.activity = activity;
    this.reassembler = new Reassembler({ maxMessageBytes: limits.maxMessageBytes });
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Observed by whoever awaits it; a connection nobody waits on must not make an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** Open with nothing queued or being sent: may be closed for idleness or to make room. */
  get idle(): boolean {
    return this.state === 'open' && !this.sender?.busy;
  }

  touch(activity: number): void {
    this.lastActivity = Date.now();
    this.activity = activity;
  }

  /**
   * Puts `link` under this connection, replacing (and closing) any link it had, with a fresh sender and
   * reassembler. The sender hands the channel frames of `link.frameSize` (at most 64 KiB, the largest message
   * every WebRTC stack passes, and never above the remote's `sctp.maxMessageSize`: framing.ts) and stops while
   * the channel's `bufferedAmount` is above the high-water mark (4 MiB by default: Chrome closes a data channel
   * whose send buffer passes about 16 MB, framed-sender.ts).
   */
  attach(link: FrameLink): void {
    const old = this.link;
    this.link = link;
    this.abort.abort();
    old?.close();
    this.sender?.close(peerError(this.peerId, 'link replaced'));
    this.reassembler = new Reassembler({ maxMessageBytes: this.limits.maxMessageBytes });
    this.sender = new FramedSender(link.channel, {
      frameSize: link.frameSize,
      highWaterMark: this.limits.highWaterMark,
      lowWaterMark: this.limits.lowWaterMark,
      makeError: (reason, cause) => peerError(this.peerId, reason, cause),
    });
  }

  /** A frame from the link: the message it completes, if any. Throws ProtocolError on a malformed frame or message. */
  frame(frame: Uint8Array): WireMessage | undefined {
    const bytes = this.reassembler.push(frame);
    return bytes ? decodeMessage(bytes) : undefined;
  }

  /** The remote hello checked out. */
  opened(activity: number): void {
    this.state = 'open';
    this.touch(activity);
    this.resolveReady();
  }

  /** Calls `onTimeout` unless the connection settles (opens or is dropped) within `ms`. */
  expectHelloWithin(ms: number, onTimeout: () => void): void {
    const timer = setTimeout(onTimeout, ms);
    const clear = () => clearTimeout(timer);
    this.ready.then(clear, clear);
  }

  /** Waits for the pong of ping `nonce`: the round trip in ms, or a rejection after `timeoutMs`. */
  awaitPong(nonce: number, timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(nonce);
        reject(peerError(this.peerId, `no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(nonce, {
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /**
   * A ping on this link, put on the wire by `send`: the round trip in ms, or a rejection after `timeoutMs` or
   * when the send fails.
   */
  async ping(
    nonce: number,
    timeoutMs: number,
    send: (message: WireMessage) => Promise<void>,
  ): Promise<number> {
    const rtt = this.awaitPong(nonce, timeoutMs);
    try {
      await send({ type: 'ping', nonce, sentAt: performance.now() });
    } catch (error) {
      // The caller gets the send's error; the pong that will never come is rejected later (timeout or drop),
      // and that rejection must not surface as an unhandled one.
      rtt.catch(() => {});
      throw error;
    }
    return rtt;
  }

  /** A pong arrived: settles its ping (a pong we never asked for is ignored). */
  pong(nonce: number, sentAt: number): void {
    const p = this.pings.get(nonce);
    this.pings.delete(nonce);
    p?.resolve(performance.now() - sentAt);
  }

  /** Stops everything of this connection, failing what waits on it with `failure`. */
  tearDown(failure: PeerError): void {
    this.abort.abort();
    this.sender?.close(failure);
    this.link?.close();
    for (const p of this.pings.values()) p.reject(failure);
    this.pings.clear();
    this.rejectReady(failure);
  }

  info(): ConnectionInfo {
    return {
      peerId: this.peerId,
      state: this.state,
      lastActivity: this.lastActivity,
      queuedBytes: this.sender?.queuedBytes ?? 0,
      ...(this.link?.path && { path: this.link.path }),
    };
  }
}

/** The idle connection used least recently, which a full transport closes to make room; none when all are busy. */
export function leastRecentlyUsedIdle(connections: Iterable<Connection>): Connection | undefined {
  let victim: Connection | undefined;
  for (const c of connections) if (c.idle && (!victim || c.activity < victim.activity)) victim = c;
  return victim;
}
