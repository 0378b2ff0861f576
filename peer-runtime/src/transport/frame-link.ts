/**
 * What a transport implementation hands to the shared connection logic (framed-transport.ts): a frame link is
 * one open, ordered, reliable channel to one peer that carries frames. (Not a measured link: what is measured of
 * a link between two peers is a MeasuredLink, measured-link.ts.) WebRTC links wrap an RTCDataChannel; memory
 * links wrap an in-process pipe. Everything above the link (hello, codec, framing, backpressure, caps, idle
 * timeouts, retries, events) is shared, so both transports behave alike.
 */
import { PeerError } from '../errors.js';
import type { DataChannelLike } from '../protocol/framed-sender.js';
import type { LinkPath } from './link-path.js';

export type LinkCloseReason = 'remote-closed' | 'failed';

export interface FrameLink {
  readonly channel: DataChannelLike;
  /** From `frameSizeFor(sctp.maxMessageSize)`. */
  readonly frameSize: number;
  /** How the link connected (WebRTC: the selected ICE candidate pair); undefined when unknown or in memory. */
  readonly path?: LinkPath;
  /** The implementation calls `listener` for every frame received, in order. Set once. */
  onFrame(listener: (frame: Uint8Array) => void): void;
  /** The implementation calls `listener` once when the link goes away without `close()` being called. */
  onClosed(listener: (reason: LinkCloseReason, error?: Error) => void): void;
  /** Tears the link down. Idempotent; does not call the `onClosed` listener. */
  close(): void;
}

/** Opens links; implemented by each transport. */
export interface Dialer {
  /**
   * One attempt to open a link to `peerId`. Rejects with PeerUnreachableError when retrying is pointless
   * (the peer is unknown to the signaling layer), with any other error when a retry may help.
   * Must stop and reject when `signal` aborts.
   */
  dial(peerId: string, signal: AbortSignal): Promise<FrameLink>;
  /** Releases the dialer's own resources (signal listeners, hubs). */
  close(): void;
}

/** The peer is not known to the network (not registered, left): retrying will not help. */
export class PeerUnreachableError extends PeerError {
  override name = 'PeerUnreachableError';
}

/**
 * Why opening a link failed, for the people reading the error: `ice-failed` (ICE ran and found no candidate pair
 * that works: the peers cannot reach each other, typically two NATs and no TURN server), `timeout` (no data
 * channel in time, ICE still checking), `signaling` (the offer or answer could not be relayed), `channel`
 * (the connection came up but its data channel failed or closed during set-up).
 */
export type LinkFailure = 'ice-failed' | 'timeout' | 'signaling' | 'channel';

/** One attempt to open a link failed for `failure`; retrying may help (a NAT mapping that was not ready). */
export class LinkSetupError extends PeerError {
  override name = 'LinkSetupError';
  constructor(
    peerId: string,
    readonly failure: LinkFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(peerId, message, options);
  }
}

/** The LinkSetupError somewhere in `error`'s cause chain (a transport wraps what its dialer threw). */
export function linkSetupErrorIn(error: unknown): LinkSetupError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof LinkSetupError) return e;
  }
  return undefined;
}
