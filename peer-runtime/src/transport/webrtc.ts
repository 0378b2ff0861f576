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
import { createFramedTransport, type FramedTransport } from './framed-transport.js';
import type { RtcImplementation } from './rtc-types.js';
import type { Transport, TransportOptions } from './types.js';

/**
 * Who is on the mesh; the signaling client satisfies it. Lets sends to absent peers fail fast, and tells the
 * transport when a peer it had given up on is back (`peer:joined`).
 */
export interface PeerDirectory {
  /** The member with this id, or undefined. */
  peer(peerId: string): object | undefined;
  on(
    event: 'peer:left' | 'peer:joined',
    listener: (message: { readonly peerId: string }) => void,
  ): () => void;
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

/**
 * Opens WebRTC frame links through the signaling relay: one simple-peer per remote peer being set up, offers
 * made only by the lower id (see the module header). Started with the transport it dials for, which it hands
 * the links remote peers open to us.
 */
class WebRtcDialer implements Dialer {
  private readonly iceServers: RTCIceServer[];
  private readonly trickle: boolean;
  private readonly setupTimeoutMs: number;
  /** Connections being set up, by remote id (at most one each). */
  private readonly sessions = new Map<string, SimplePeer.Instance>();
  /** Dials of ours (we are the higher id) waiting for the remote's offer. */
  private readonly awaitingOffer = new Map<
    string,
    { resolve(link: FrameLink): void; reject(error: Error): void }
  >();
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: WebRtcTransportOptions) {
    this.iceServers = options.iceServers ?? [];
    this.trickle = options.trickle ?? true;
    this.setupTimeoutMs = options.connectTimeoutMs ?? 15_000;
  }

  private get localPeerId(): string {
    return this.options.peerId;
  }

  /** Starts listening to signals and membership on behalf of `transport`. */
  start(transport: FramedTransport): void {
    this.unsubscribe.push(
      this.options.signals.onSignal((from, data) => this.onSignal(transport, from, data)),
    );
    const { directory } = this.options;
    if (directory) {
      this.unsubscribe.push(
        directory.on('peer:left', ({ peerId }) => transport.markGone(peerId)),
        // A peer that re-registers (after a signaling restart, say) may be dialled again.
        directory.on('peer:joined', ({ peerId }) => transport.markBack(peerId)),
      );
    }
  }

  dial(remote: string, signal: AbortSignal): Promise<FrameLink> {
    const { directory } = this.options;
    if (directory && !directory.peer(remote)) {
      return Promise.reject(new PeerUnreachableError(remote, `peer '${remote}' is not a member of the mesh`));
    }
    if (this.localPeerId < remote) return this.setUp(remote, this.createPeer(remote, true), signal);
    return this.awaitOfferFrom(remote, signal);
  }

  close(): void {
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const peer of this.sessions.values()) peer.destroy();
    this.sessions.clear();
    for (const w of this.awaitingOffer.values()) w.reject(new Error('transport closed'));
    this.awaitingOffer.clear();
  }

  /** We are the higher id: ask `remote` to offer, and wait for the link its offer makes. */
  private awaitOfferFrom(remote: string, signal: AbortSignal): Promise<FrameLink> {
    return new Promise<FrameLink>((resolve, reject) => {
      const onAbort = () => {
        if (this.awaitingOffer.get(remote) === entry) this.awaitingOffer.delete(remote);
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
      this.awaitingOffer.get(remote)?.reject(new Error('superseded'));
      this.awaitingOffer.set(remote, entry);
      signal.addEventListener('abort', onAbort);
      this.options.signals.sendSignal(remote, REQUEST_OFFER);
    });
  }

  private createPeer(remote: string, initiator: boolean): SimplePeer.Instance {
    this.sessions.get(remote)?.destroy();
    const peer = new SimplePeer({
      initiator,
      trickle: this.trickle,
      config: { iceServers: this.iceServers },
      channelName: 'handout',
      wrtc: this.options.rtc as unknown as SimplePeer.Options['wrtc'],
    });
    peer.on('signal', (data) => {
      if (!this.closed) this.options.signals.sendSignal(remote, data as SignalData);
    });
    this.sessions.set(remote, peer);
    return peer;
  }

  /** Resolves with a link once the channel is open; destroys the peer on failure, timeout or abort. */
  private setUp(remote: string, peer: SimplePeer.Instance, signal?: AbortSignal): Promise<FrameLink> {
    return new Promise<FrameLink>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        peer.off('connect', onConnect);
        peer.off('error', onFail);
        peer.off('close', onFail);
        if (this.sessions.get(remote) === peer) this.sessions.delete(remote);
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
        () => onFail(new Error(`no data channel to '${remote}' within ${this.setupTimeoutMs} ms`)),
        this.setupTimeoutMs,
      );
      peer.on('connect', onConnect);
      peer.on('error', onFail);
      peer.on('close', onFail);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  }

  private onSignal(transport: FramedTransport, from: string, data: SignalData): void {
    if (this.closed || from === this.localPeerId) return;
    if (data.type === 'renegotiate') {
      // The higher peer asks us to offer. If we think we are connected, it has lost the connection: reopen.
      if (this.localPeerId > from || this.sessions.has(from)) return;
      if (transport.isOpen(from)) transport.disconnect(from);
      // Nobody waits on this connect, and ignoring its failure is right: the remote's own dial (which asked for
      // it) times out and fails or retries on its side, where it is reported, and a later send from here dials
      // again and reports its own failure to its caller.
      transport.connect(from).catch(() => {});
      return;
    }
    if (data.type === 'offer') {
      if (this.localPeerId > from) this.onOffer(transport, from, data);
      return;
    }
    this.sessions.get(from)?.signal(data as unknown as SimplePeer.SignalData);
  }

  /** The lower peer offers: answer, and hand the link to our dial waiting for it or to the transport. */
  private onOffer(transport: FramedTransport, from: string, data: SignalData): void {
    const peer = this.createPeer(from, false);
    this.setUp(from, peer).then(
      (link) => {
        const waiting = this.awaitingOffer.get(from);
        this.awaitingOffer.delete(from);
        if (waiting) waiting.resolve(link);
        else transport.accept(from, link);
      },
      // setUp has destroyed the half-made peer; the offering side sees its own set-up fail and retries. Nothing
      // here waits on it (a dial of ours waiting for an offer times out on its own). To be logged with a logger.
      () => {},
    );
    peer.signal(data as unknown as SimplePeer.SignalData);
  }
}

export function createWebRtcTransport(options: WebRtcTransportOptions): Transport {
  const dialer = new WebRtcDialer(options);
  const transport = createFramedTransport(options.peerId, dialer, options);
  dialer.start(transport);
  return transport;
}
