/**
 * The WebRTC transport: one simple-peer connection (one ordered, reliable data channel) per remote peer,
 * set up through a SignalRelay (the signaling client, or an in-process hub in tests).
 *
 * Who offers: always the peer whose id sorts lower. When the higher peer wants a connection, it sends a
 * `{ type: 'renegotiate' }` signal asking the lower one to offer. So two peers opening at once never make two
 * offers (no glare), and stray ICE candidates of an abandoned offer cannot reach a newer session. A request
 * that finds a link open is often stale (a timed-out attempt's, relayed late): the link is kept while it answers
 * a ping (answerRequestWhileOpen).
 *
 * Data path: frames go straight to the RTCDataChannel (`peer._channel`) with backpressure
 * (protocol/framed-sender.ts); simple-peer's `send()`/`write()` are never used, as they ignore the channel's
 * buffer. Frames come back through simple-peer's 'data' event, which keeps message boundaries and order.
 *
 * ICE servers default to none: host candidates only, nothing is sent to a public STUN server. Pass STUN/TURN
 * servers of your own for peers behind NAT, or a function returning them: it is asked at every new connection, so
 * short-lived TURN credentials (the signaling server's welcome hands out fresh ones) are always current.
 *
 * Every link says how it connected (`FrameLink.path`: the selected candidate pair, link-path.ts), and a failed
 * set-up says why (`LinkSetupError`: ICE failed, timed out, ...), with what this side gathered: "no relay
 * candidate" is the usual answer to "why do two peers behind NATs not connect".
 */
import SimplePeer from 'simple-peer';
import type { SignalData, SignalRelay } from '../signaling/contract.js';
import {
  type Dialer,
  type FrameLink,
  type LinkFailure,
  LinkSetupError,
  PeerUnreachableError,
} from './frame-link.js';
import { createFramedTransport, type FramedTransport } from './framed-transport.js';
import { type CandidateType, parseCandidateLine } from './link-path.js';
import type { RtcImplementation } from './rtc-types.js';
import { candidateTypeOf, linkOf, readPath, setupErrorFor } from './simple-peer-link.js';
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
  /**
   * STUN/TURN servers, or a function returning them, asked at every new connection (credentials that expire).
   * Default [] (host candidates only): never a public STUN server unless you ask.
   */
  readonly iceServers?: readonly RTCIceServer[] | (() => readonly RTCIceServer[]);
  /** Membership (the signaling client): connecting to a peer that is not a member fails at once. Default none. */
  readonly directory?: PeerDirectory;
  /** Trickle ICE candidates as they are found (faster) instead of waiting for all of them. Default true. */
  readonly trickle?: boolean;
}

const REQUEST_OFFER: SignalData = { type: 'renegotiate', renegotiate: true };
/**
 * Longest wait for the pong that shows an open link still in use when its remote asks for an offer (at most a
 * third of the set-up timeout): long enough for a loaded peer's round trip, short enough to leave the remote's
 * attempt time for a new offer when the link is dead.
 */
const LINK_CHECK_MS = 5_000;

/**
 * Opens WebRTC frame links through the signaling relay: one simple-peer per remote peer being set up, offers
 * made only by the lower id (see the module header). Started with the transport it dials for, which it hands
 * the links remote peers open to us.
 */
class WebRtcDialer implements Dialer {
  private readonly iceServers: () => readonly RTCIceServer[];
  private readonly trickle: boolean;
  private readonly setupTimeoutMs: number;
  /** Connections being set up, by remote id (at most one each). */
  private readonly sessions = new Map<string, SimplePeer.Instance>();
  /** Candidate types this side gathered per session being set up, for the error when it fails. */
  private readonly gathered = new WeakMap<SimplePeer.Instance, Set<CandidateType>>();
  /** Candidates the remote signalled per session (`address port` → type), to name a pair's remote end right. */
  private readonly signaled = new WeakMap<SimplePeer.Instance, Map<string, CandidateType>>();
  /** Dials of ours (we are the higher id) waiting for the remote's offer. */
  private readonly awaitingOffer = new Map<
    string,
    { resolve(link: FrameLink): void; reject(error: Error): void }
  >();
  /** Peers whose open link is being checked after they asked for an offer (answerRequestWhileOpen). */
  private readonly checkingLink = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: WebRtcTransportOptions) {
    const ice = options.iceServers ?? [];
    this.iceServers = typeof ice === 'function' ? ice : () => ice;
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
        // Out of time: while answering its offer, say what ICE did; with no offer yet, say that.
        const reason: unknown = signal.reason;
        const answering = this.sessions.get(remote);
        reject(
          reason instanceof LinkSetupError && answering
            ? this.setupError(remote, answering, reason.failure, reason.message)
            : new LinkSetupError(
                remote,
                reason instanceof LinkSetupError ? reason.failure : 'signaling',
                `link to '${remote}': no offer from it arrived${reason instanceof LinkSetupError ? ` (${reason.message})` : ''}`,
              ),
        );
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
      // Already answering an offer of the remote's (it dialled us, or a request of an earlier attempt was late):
      // that offer's link is the one we wait for. Asking for another could reach the remote after that link
      // opened, and it would tear the link down, with whatever it carries, to offer again ('renegotiate' below).
      if (!this.sessions.has(remote)) this.options.signals.sendSignal(remote, REQUEST_OFFER);
    });
  }

  private createPeer(remote: string, initiator: boolean): SimplePeer.Instance {
    this.sessions.get(remote)?.destroy();
    const peer = new SimplePeer({
      initiator,
      trickle: this.trickle,
      // A copy: stacks may normalise the objects they are given, and the list is shared by every connection.
      config: { iceServers: this.iceServers().map((s) => ({ ...s })) },
      channelName: 'handout',
      wrtc: this.options.rtc as unknown as SimplePeer.Options['wrtc'],
    });
    const gathered = new Set<CandidateType>();
    this.gathered.set(peer, gathered);
    this.signaled.set(peer, new Map());
    peer.on('signal', (data) => {
      const typ = candidateTypeOf(data as SignalData);
      if (typ) gathered.add(typ);
      if (!this.closed) this.options.signals.sendSignal(remote, data as SignalData);
    });
    this.sessions.set(remote, peer);
    return peer;
  }

  /** Resolves with a link once the channel is open; destroys the peer on failure, timeout or abort. */
  private setUp(remote: string, peer: SimplePeer.Instance, signal?: AbortSignal): Promise<FrameLink> {
    return new Promise<FrameLink>((resolve, reject) => {
      let settled = false;
      /** The channel opened; only its path is still being read. */
      let connected = false;
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        peer.off('connect', onConnect);
        peer.off('error', onError);
        peer.off('close', onClose);
        if (this.sessions.get(remote) === peer) this.sessions.delete(remote);
      };
      const onConnect = () => {
        connected = true;
        // Read the selected pair before handing the link over (a few ms), so its path is known from the start.
        void readPath(peer, this.signaled.get(peer)).then((path) => {
          if (settled) return;
          cleanup();
          resolve(linkOf(peer, path));
        });
      };
      const fail = (error: LinkSetupError) => {
        if (settled) return;
        cleanup();
        peer.destroy();
        reject(error);
      };
      const onError = (err: Error) => {
        const code = (err as { code?: string }).code;
        const ice = code === 'ERR_ICE_CONNECTION_FAILURE' || code === 'ERR_CONNECTION_FAILURE';
        fail(this.setupError(remote, peer, ice ? 'ice-failed' : 'channel', err.message, err));
      };
      const onClose = () => fail(this.setupError(remote, peer, 'channel', 'closed during set-up'));
      const onAbort = () => {
        // An open channel is kept: a link the remote side has too (and may already send on) is worth more than the
        // deadline it just missed. Whoever aborted closes it if they no longer need it (framed-transport.ts).
        if (connected) return;
        // dialWithRetry aborts an attempt that ran out of time with a timeout reason; say so, not "aborted".
        const reason: unknown = signal?.reason;
        const timedOut = reason instanceof LinkSetupError && reason.failure === 'timeout';
        fail(
          timedOut
            ? this.setupError(remote, peer, 'timeout', reason.message)
            : this.setupError(remote, peer, 'channel', 'set-up aborted'),
        );
      };
      // Like an abort, the deadline spares a channel that opened (its path is being read, at most a second more):
      // the remote may already use it, and destroying it would fail what it sends.
      const timer = setTimeout(() => {
        if (!connected)
          fail(this.setupError(remote, peer, 'timeout', `no data channel within ${this.setupTimeoutMs} ms`));
      }, this.setupTimeoutMs);
      peer.on('connect', onConnect);
      peer.on('error', onError);
      peer.on('close', onClose);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  }
  /** The error of a failed set-up, naming the candidate types gathered for `peer` (simple-peer-link.ts). */
  private setupError(
    remote: string,
    peer: SimplePeer.Instance,
    failure: LinkFailure,
    detail: string,
    cause?: Error,
  ): LinkSetupError {
    return setupErrorFor(remote, peer, this.gathered.get(peer) ?? [], failure, detail, cause);
  }

  private onSignal(transport: FramedTransport, from: string, data: SignalData): void {
    if (this.closed || from === this.localPeerId) return;
    if (data.type === 'renegotiate') {
      // The higher peer asks us to offer. Already offering: that offer's link is what it will get.
      if (this.localPeerId > from || this.sessions.has(from)) return;
      if (transport.isOpen(from)) this.answerRequestWhileOpen(transport, from);
      else this.offerOnRequest(transport, from);
      return;
    }
    if (data.type === 'offer') {
      if (this.localPeerId > from) this.onOffer(transport, from, data);
      return;
    }
    const session = this.sessions.get(from);
    if (!session) return;
    this.noteSignaled(session, data);
    session.signal(data as unknown as SimplePeer.SignalData);
  }

  /**
   * An offer request from a peer we hold an open link to. Either it lost that link (it restarted, or dropped
   * it) and needs a new one, or the request is stale: sent by a dial whose attempt timed out before our offer
   * reached it (a starved machine, a slow signaling path), relayed late, and landing after the link that offer
   * made opened. Tearing the link down for a stale request failed every send in flight on it ("connection
   * closed") and cost both sides a new set-up. So the link answers for itself: a ping on it. The remote's
   * transport answers only on the link its connection holds, and holding it means its dial already ended (a
   * connection that gets a link aborts its dial: connection.ts), so nothing there waits for an offer and the
   * pong is all the re-announcement it needs. No pong in time: the connection is dropped and we offer anew.
   */
  private answerRequestWhileOpen(transport: FramedTransport, from: string): void {
    if (this.checkingLink.has(from)) return; // a check is out: its outcome answers this request too
    this.checkingLink.add(from);
    // A third of the remote's attempt (if it uses our timeout) is left for the offer when the link is dead.
    const timeoutMs = Math.min(LINK_CHECK_MS, this.setupTimeoutMs / 3);
    void transport.stillLinked(from, timeoutMs).then((alive) => {
      this.checkingLink.delete(from);
      if (!alive && !this.closed) this.offerOnRequest(transport, from);
    });
  }

  private offerOnRequest(transport: FramedTransport, from: string): void {
    // Nobody waits on this connect, and ignoring its failure is right: the remote's own dial (which asked for
    // it) times out and fails or retries on its side, where it is reported, and a later send from here dials
    // again and reports its own failure to its caller.
    transport.connect(from).catch(() => {});
  }

  /** Remembers the candidates a remote signalled (trickled, or in its SDP) for `readPath`. */
  private noteSignaled(peer: SimplePeer.Instance, data: SignalData): void {
    const known = this.signaled.get(peer);
    if (!known) return;
    const lines =
      data.type === 'candidate'
        ? [data.candidate.candidate]
        : data.type === 'offer' || data.type === 'answer'
          ? data.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'))
          : [];
    for (const line of lines) {
      const c = parseCandidateLine(line);
      if (c && known.size < 64) known.set(c.key, c.type);
    }
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
      // setUp has destroyed the half-made peer; the offering side sees its own set-up fail and retries. A dial of
      // ours waiting for this offer learns why at once, rather than timing out as "did not offer".
      (error: Error) => {
        const waiting = this.awaitingOffer.get(from);
        this.awaitingOffer.delete(from);
        waiting?.reject(error);
      },
    );
    this.noteSignaled(peer, data);
    peer.signal(data as unknown as SimplePeer.SignalData);
  }
}

export function createWebRtcTransport(options: WebRtcTransportOptions): Transport {
  const dialer = new WebRtcDialer(options);
  const transport = createFramedTransport(options.peerId, dialer, options);
  dialer.start(transport);
  return transport;
}
