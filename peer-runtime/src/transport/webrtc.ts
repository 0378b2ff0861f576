/**
 * The WebRTC transport: one simple-peer connection (one ordered, reliable data channel) per remote peer,
 * set up through a SignalRelay (the signaling client, or an in-process hub in tests).
 *
 * Who offers: always the peer whose id sorts lower. When the higher peer wants a connection, it sends a
 * `{ type: 'renegotiate' }` signal asking the lower one to offer. So two peers opening at once never make two
 * offers (no glare), and stray ICE candidates of an abandoned offer cannot reach a newer session.
 *
 * Data path: frames go straight to the RTCDataChannel (`peer._channel`) with backpressure
 * (protocol/framed-sender.ts); simple-peer's `send()`/`write()` are never used, as they ignore the channel's
 * buffer. Frames come back through simple-peer's 'data' event, which keeps message boundaries and order.
 *
 * ICE servers default to none: host candidates only, nothing is sent to a public STUN server. Pass STUN/TURN
 * servers of your own for peers behind NAT.
 */
import SimplePeer from 'simple-peer';
import type { DataChannelLike } from '../protocol/framed-sender.js';
import { frameSizeFor } from '../protocol/framing.js';
import type { SignalData, SignalRelay } from '../signaling/contract.js';
import { type Dialer, type FrameLink, type LinkCloseReason, PeerUnreachableError } from './frame-link.js';
import { createFramedTransport } from './framed-transport.js';
import type { RtcImplementation } from './rtc-types.js';
import type { Transport, TransportOptions } from './types.js';

/** Who is on the mesh; the signaling client satisfies it. Lets sends to absent peers fail fast. */
export interface PeerDirectory {
  /** The member with this id, or undefined. */
  peer(peerId: string): object | undefined;
  on(event: 'peer:left', listener: (message: { readonly peerId: string }) => void): () => void;
}

export interface WebRtcTransportOptions extends TransportOptions {
  readonly peerId: string;
  readonly signals: SignalRelay;
  /** RTCPeerConnection and friends: `nodeRtc()` (rtc.node.ts) or `browserRtc()` (rtc.browser.ts). */
  readonly rtc: RtcImplementation;
  /** STUN/TURN servers. Default [] (host candidates only): never a public STUN server unless you ask. */
  readonly iceServers?: RTCIceServer[];
  /** Membership (the signaling client): connecting to a peer that is not a member fails at once. Default none. */
  readonly directory?: PeerDirectory;
  /** Trickle ICE candidates as they are found (faster) instead of waiting for all of them. Default true. */
  readonly trickle?: boolean;
}

const REQUEST_OFFER: SignalData = { type: 'renegotiate', renegotiate: true };

interface SimplePeerInternals {
  _channel: DataChannelLike;
  _pc: { sctp?: { maxMessageSize?: number } | null };
}

/** Wraps a connected simple-peer as a FrameLink. */
function linkOf(peer: SimplePeer.Instance): FrameLink {
  const internals = peer as unknown as SimplePeerInternals;
  let onClosed: ((reason: LinkCloseReason, error?: Error) => void) | undefined;
  let done = false;
  const finish = (reason: LinkCloseReason, error?: Error) => {
    if (done) return;
    done = true;
    onClosed?.(reason, error);
  };
  peer.on('error', (err: Error) => finish('failed', err));
  peer.on('close', () => finish('remote-closed'));
  return {
    channel: internals._channel,
    frameSize: frameSizeFor(internals._pc.sctp?.maxMessageSize),
    onFrame(listener) {
      peer.on('data', (chunk: Uint8Array | string) => {
        listener(typeof chunk === 'string' ? new Uint8Array(0) : chunk);
      });
    },
    onClosed(listener) {
      onClosed = listener;
    },
    close() {
      done = true;
      peer.destroy();
    },
  };
}

export function createWebRtcTransport(options: WebRtcTransportOptions): Transport {
  const { peerId: localPeerId, signals, rtc, directory } = options;
  const iceServers = options.iceServers ?? [];
  const trickle = options.trickle ?? true;
  const setupTimeoutMs = options.connectTimeoutMs ?? 15_000;
  /** Connections being set up, by remote id (at most one each). */
  const sessions = new Map<string, SimplePeer.Instance>();
  /** Dials of ours (we are the higher id) waiting for the remote's offer. */
  const awaitingOffer = new Map<string, { resolve(link: FrameLink): void; reject(error: Error): void }>();
  let closed = false;

  function createPeer(remote: string, initiator: boolean): SimplePeer.Instance {
    sessions.get(remote)?.destroy();
    const peer = new SimplePeer({
      initiator,
      trickle,
      config: { iceServers },
      channelName: 'handout',
      wrtc: rtc as unknown as SimplePeer.Options['wrtc'],
    });
    peer.on('signal', (data) => {
      if (!closed) signals.sendSignal(remote, data as SignalData);
    });
    sessions.set(remote, peer);
    return peer;
  }

  /** Resolves with a link once the channel is open; destroys the peer on failure, timeout or abort. */
  function setUp(remote: string, peer: SimplePeer.Instance, signal?: AbortSignal): Promise<FrameLink> {
    return new Promise<FrameLink>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        peer.off('connect', onConnect);
        peer.off('error', onFail);
        peer.off('close', onFail);
        if (sessions.get(remote) === peer) sessions.delete(remote);
      };
      const onConnect = () => {
        cleanup();
        resolve(linkOf(peer));
      };
      const onFail = (err?: Error) => {
        cleanup();
        peer.destroy();
        reject(err ?? new Error(`connection to '${remote}' closed during set-up`));
      };
      const onAbort = () => onFail(new Error(`connection to '${remote}' aborted`));
      const timer = setTimeout(
        () => onFail(new Error(`no data channel to '${remote}' within ${setupTimeoutMs} ms`)),
        setupTimeoutMs,
      );
      peer.on('connect', onConnect);
      peer.on('error', onFail);
      peer.on('close', onFail);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  }

  const dialer: Dialer = {
    dial(remote, signal) {
      if (directory && !directory.peer(remote)) {
        return Promise.reject(
          new PeerUnreachableError(remote, `peer '${remote}' is not a member of the mesh`),
        );
      }
      if (localPeerId < remote) return setUp(remote, createPeer(remote, true), signal);
      return new Promise<FrameLink>((resolve, reject) => {
        const onAbort = () => {
          if (awaitingOffer.get(remote) === entry) awaitingOffer.delete(remote);
          reject(new Error(`peer '${remote}' did not offer a connection`));
        };
        const entry = {
          resolve: (link: FrameLink) => {
            signal.removeEventListener('abort', onAbort);
            resolve(link);
          },
          reject: (error: Error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        awaitingOffer.get(remote)?.reject(new Error('superseded'));
        awaitingOffer.set(remote, entry);
        signal.addEventListener('abort', onAbort);
        signals.sendSignal(remote, REQUEST_OFFER);
      });
    },
    close() {
      closed = true;
      offSignal();
      offLeft?.();
      for (const peer of sessions.values()) peer.destroy();
      sessions.clear();
      for (const w of awaitingOffer.values()) w.reject(new Error('transport closed'));
      awaitingOffer.clear();
    },
  };

  const transport = createFramedTransport(localPeerId, dialer, options);

  function onOffer(from: string, data: SignalData): void {
    const peer = createPeer(from, false);
    setUp(from, peer).then(
      (link) => {
        const waiting = awaitingOffer.get(from);
        awaitingOffer.delete(from);
        if (waiting) waiting.resolve(link);
        else transport.accept(from, link);
      },
      () => {},
    );
    peer.signal(data as unknown as SimplePeer.SignalData);
  }

  const offSignal = signals.onSignal((from, data) => {
    if (closed || from === localPeerId) return;
    if (data.type === 'renegotiate') {
      // The higher peer asks us to offer. If we think we are connected, it has lost the connection: reopen.
      if (localPeerId > from || sessions.has(from)) return;
      if (transport.isOpen(from)) transport.disconnect(from);
      transport.connect(from).catch(() => {});
      return;
    }
    if (data.type === 'offer') {
      if (localPeerId > from) onOffer(from, data);
      return;
    }
    sessions.get(from)?.signal(data as unknown as SimplePeer.SignalData);
  });

  const offLeft = directory?.on('peer:left', ({ peerId }) => transport.markGone(peerId));

  return transport;
}
