/**
 * The connection logic every transport shares: turns a Dialer of links into a Transport.
 *
 * - Each connection starts with `hello` from both sides (protocol version and peer id); it is `open` and
 *   reported as `peer:connected` once the remote hello checks out.
 * - Glare (both sides opening at once): the connection opened by the peer with the lower id (string order)
 *   wins; the other attempt is dropped. The WebRTC dialer avoids glare altogether (only the lower id makes
 *   offers), the memory one relies on this rule.
 * - At `maxConnections`, opening one more closes the least recently used idle connection (nothing queued);
 *   when every connection is busy, the new one is refused with a PeerError.
 * - A peer whose connection dropped is remembered as gone: sends to it fail fast until it connects to us again,
 *   `connect(peerId)` is called explicitly, or the signaling layer says it is back (`markBack`). A peer the
 *   signaling layer says left keeps an open connection that still answers a ping: the signaling server may
 *   have restarted or lost it while its data channel works, and dropping that channel would cost every
 *   transfer in flight and a new connection that needs signaling. But a peer listed again whose connection has
 *   said nothing since it was reported gone is a new process under the same id (`markBack`): that connection is
 *   dropped, not reused.
 * - Every frame is a stranger's input: a malformed frame or message, or a hello that does not check out, is a
 *   ProtocolError; the remote is told (an `error` message naming the field) and the connection is dropped as
 *   `protocol-error`, reported with the error. Frames of a link no longer in use are ignored.
 */

import { ProtocolError } from '../errors.js';
import { encodeMessage } from '../protocol/codec.js';
import { PROTOCOL_VERSION, type WireMessage } from '../protocol/messages.js';
import { TypedEmitter } from '../typed-emitter.js';
import { Connection, leastRecentlyUsedIdle, peerError } from './connection.js';
import { type DialRetryOptions, dialWithRetry } from './dial-retry.js';
import type { Dialer, FrameLink } from './frame-link.js';
import { checkHello, laneOf } from './frame-rules.js';
import { type LinkTraffic, TrafficMeter } from './link-traffic.js';
import { DEFAULT_MAX_QUEUED_BYTES, queueOverflow } from './send-cap.js';
import type {
  ConnectionInfo,
  DisconnectReason,
  MessageListener,
  Transport,
  TransportEventName,
  TransportEvents,
  TransportOptions,
} from './types.js';

const PING_TIMEOUT_MS = 5_000;
/** How long a connection's `error` message gets to go out before its link is torn down after a protocol error. */
const PROTOCOL_ERROR_LINGER_MS = 50;

/** The shared connection logic over a Dialer's links; both transports are one of these. */
export class FramedTransport implements Transport {
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly dialOptions: DialRetryOptions;
  private readonly byPeer = new Map<string, Connection>();
  /** Peers whose connection dropped, and why: sends to them fail fast until they are back (see the header). */
  private readonly gone = new Map<string, DisconnectReason>();
  /**
   * Open connections to peers the signaling layer says left, that have not delivered a frame since (`markGone`):
   * whether they lead to a live process is still being asked by a ping.
   */
  private readonly silentSinceLeft = new Map<string, Connection>();
  private readonly messageListeners = new Set<MessageListener>();
  // A listener's throw reaches the code that emitted, as before the emitter was shared.
  private readonly events = new TypedEmitter<TransportEvents>({ catchListenerErrors: false });
  private readonly sweep: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private nonce = 0;
  private activity = 0;
  private readonly meter = new TrafficMeter();

  constructor(
    readonly localPeerId: string,
    private readonly dialer: Dialer,
    private readonly options: TransportOptions = {},
  ) {
    this.maxConnections = options.maxConnections ?? 64;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.dialOptions = {
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      connectRetries: options.connectRetries ?? 2,
      retryDelayMs: options.retryDelayMs ?? 250,
    };
    if (this.idleTimeoutMs > 0) {
      const every = Math.max(10, Math.min(5_000, this.idleTimeoutMs / 4));
      this.sweep = setInterval(() => this.closeIdle(), every);
      this.sweep.unref?.();
    }
  }

  async send(peerId: string, message: WireMessage): Promise<void> {
    const c = await this.open(peerId);
    this.touch(c);
    await this.sendEncoded(c, message);
  }

  /** Bytes moved per remote peer since the transport started (link-traffic.ts). */
  traffic(): readonly LinkTraffic[] {
    return this.meter.snapshot();
  }

  private sendEncoded(c: Connection, message: WireMessage): Promise<void> {
    const encoded = encodeMessage(message);
    // A peer that stops reading must not make us buffer without bound (send-cap.ts).
    const max = this.options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    const overflow = queueOverflow(c.peerId, c.sender!.queuedBytes, encoded.byteLength, max);
    if (overflow) {
      this.drop(c, 'failed', overflow);
      return Promise.reject(overflow);
    }
    this.meter.sent(c.peerId, encoded.byteLength);
    return c.sender!.send(encoded, laneOf(message));
  }

  onMessage(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  connect(peerId: string): Promise<void> {
    return this.ensure(peerId, true);
  }

  disconnect(peerId: string): void {
    const c = this.byPeer.get(peerId);
    if (c) this.drop(c, 'closed');
  }

  async ping(peerId: string): Promise<number> {
    return this.pingOn(await this.open(peerId), PING_TIMEOUT_MS);
  }

  /** A ping on `c`'s link (Connection.ping). */
  private pingOn(c: Connection, timeoutMs: number): Promise<number> {
    return c.ping(this.nonce++, timeoutMs, (m) => this.sendEncoded(c, m));
  }

  connections(): readonly ConnectionInfo[] {
    return [...this.byPeer.values()].map((c) => c.info());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    for (const c of [...this.byPeer.values()]) this.drop(c, 'closed');
    this.dialer.close();
  }

  /**
   * For dialers told by the signaling layer that a peer left: fail sends to it fast, and drop its connection
   * unless it is open and answers a ping (see the header).
   */
  markGone(peerId: string): void {
    const c = this.byPeer.get(peerId);
    const left = new Error('the peer left the mesh');
    if (c?.state !== 'open') {
      if (c) this.drop(c, 'remote-closed', left);
      this.gone.set(peerId, 'remote-closed');
      return;
    }
    this.silentSinceLeft.set(peerId, c);
    this.ping(peerId).then(
      () => {}, // it answers: keep the channel, and sends to it go on
      () => this.drop(c, 'remote-closed', left),
    );
  }

  /**
   * For dialers told by the signaling layer that a peer is a member again: it may be dialled again, and a
   * connection silent since it was reported gone is dropped. Why: a SIGKILLed process closes no channel, so its
   * connection stays `open` until `markGone`'s ping times out (5 s); a restart under the same id joins sooner, and
   * sends vanish down the dead link (chaos seed 9: a run resubmitted to a restarted coordinator sat 6 s). A live
   * peer that only lost its signaling socket answers that ping long before it can join again, and keeps it.
   */
  markBack(peerId: string): void {
    const stale = this.silentSinceLeft.get(peerId);
    this.silentSinceLeft.delete(peerId);
    if (stale && this.byPeer.get(peerId) === stale) {
      this.drop(
        stale,
        'remote-closed',
        new Error('it joined the mesh again while its old connection had been silent since it left'),
      );
    }
    this.gone.delete(peerId);
  }

  /**
   * For dialers asked for a new link while the connection to `peerId` is open: whether the remote still uses this
   * one, that is, answers a ping on it within `timeoutMs` (its transport answers only on the link its connection
   * holds). An open connection that does not answer is dropped (`remote-closed`) so that a new link can be made;
   * false also when there is no open connection.
   */
  async stillLinked(peerId: string, timeoutMs: number): Promise<boolean> {
    const c = this.byPeer.get(peerId);
    if (c?.state !== 'open') return false;
    try {
      await this.pingOn(c, timeoutMs);
      return true;
    } catch (error) {
      // drop() ignores a connection already replaced or dropped while the ping was out.
      const why = error instanceof Error ? error.message : String(error);
      this.drop(
        c,
        'remote-closed',
        new Error(`it asked for a new link and did not answer a ping on this one (${why})`),
      );
      return false;
    }
  }

  /** Whether a connection to `peerId` exists and is open. */
  isOpen(peerId: string): boolean {
    return this.byPeer.get(peerId)?.state === 'open';
  }

  /** For dialers: a link the remote side opened to us. */
  accept(peerId: string, link: FrameLink): void {
    if (this.closed || peerId === this.localPeerId) {
      link.close();
      return;
    }
    const existing = this.byPeer.get(peerId);
    if (existing?.state === 'connecting') {
      // Glare: keep the connection the lower peer id opened. Otherwise adopt the incoming link into the
      // pending connection, so callers already waiting on it are served by it.
      if (existing.outgoing && this.localPeerId < peerId) link.close();
      else this.attach(existing, link);
      return;
    }
    // An open connection being reopened means the remote side lost it (a restart, a network blip).
    if (existing) this.drop(existing, 'remote-closed', new Error('the peer opened a new connection'));
    if (!this.makeRoom()) {
      link.close();
      return;
    }
    this.gone.delete(peerId);
    const c = this.newConnection(peerId, false);
    this.attach(c, link);
    c.expectHelloWithin(this.dialOptions.connectTimeoutMs, () =>
      this.drop(c, 'failed', new Error('no hello in time')),
    );
  }

  /** The open connection to `peerId`, opening it first if needed. */
  private async open(peerId: string): Promise<Connection> {
    await this.ensure(peerId, false);
    const c = this.byPeer.get(peerId);
    if (!c?.sender) throw peerError(peerId, 'not connected');
    return c;
  }

  /** Resolves once a connection to `peerId` is open; `explicit` (a `connect` call) also retries a gone peer. */
  private ensure(peerId: string, explicit: boolean): Promise<void> {
    if (this.closed) return Promise.reject(peerError(peerId, 'the transport is closed'));
    if (peerId === this.localPeerId) return Promise.reject(peerError(peerId, 'cannot connect to ourselves'));
    const existing = this.byPeer.get(peerId);
    if (existing) return existing.ready;
    const wasGone = this.gone.get(peerId);
    if (wasGone && !explicit) return Promise.reject(peerError(peerId, `the peer is gone (${wasGone})`));
    this.gone.delete(peerId);
    if (!this.makeRoom()) {
      return Promise.reject(peerError(peerId, `connection cap of ${this.maxConnections} reached, all busy`));
    }
    const c = this.newConnection(peerId, true);
    dialWithRetry(this.dialer, peerId, c.abort.signal, this.dialOptions).then(
      (link) => {
        // Dropped meanwhile, or the remote's own link was adopted first: this one is not needed.
        if (this.byPeer.get(peerId) !== c || c.link) link.close();
        else this.attach(c, link);
      },
      (err: Error) => {
        if (!c.link) this.drop(c, 'failed', err);
      },
    );
    const { connectTimeoutMs, connectRetries } = this.dialOptions;
    c.expectHelloWithin(connectTimeoutMs * (connectRetries + 2), () =>
      this.drop(c, 'failed', new Error('no hello in time')),
    );
    return c.ready;
  }

  private newConnection(peerId: string, outgoing: boolean): Connection {
    const c = new Connection(peerId, outgoing, ++this.activity, this.options);
    this.byPeer.set(peerId, c);
    return c;
  }

  private touch(c: Connection): void {
    c.touch(++this.activity);
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const c of [...this.byPeer.values()]) {
      if (c.idle && now - c.lastActivity >= this.idleTimeoutMs) this.drop(c, 'idle');
    }
  }

  /** Frees a slot under the cap by closing the least recently used idle connection; false if none is idle. */
  private makeRoom(): boolean {
    if (this.byPeer.size < this.maxConnections) return true;
    const victim = leastRecentlyUsedIdle(this.byPeer.values());
    if (!victim) return false;
    this.drop(victim, 'evicted');
    return true;
  }

  private drop(c: Connection, reason: DisconnectReason, error?: Error): void {
    if (this.byPeer.get(c.peerId) !== c) return;
    this.byPeer.delete(c.peerId);
    if (this.silentSinceLeft.get(c.peerId) === c) this.silentSinceLeft.delete(c.peerId);
    c.tearDown(peerError(c.peerId, `connection ${reason}${error ? `: ${error.message}` : ''}`, error));
    if (reason !== 'closed' && reason !== 'idle' && reason !== 'evicted') this.gone.set(c.peerId, reason);
    if (c.state === 'open') {
      this.events.emit('peer:disconnected', { peerId: c.peerId, reason, ...(error && { error }) });
    }
  }

  /** Puts `link` under `c` and starts the handshake; events of a link `c` no longer uses are ignored. */
  private attach(c: Connection, link: FrameLink): void {
    c.attach(link);
    link.onClosed((reason, error) => {
      if (c.link === link) this.drop(c, reason, error);
    });
    link.onFrame((frame) => {
      // Also once `c` is dropped: a closed link should deliver nothing more, but a stranger's frames are not
      // trusted to stop.
      if (c.link === link && this.byPeer.get(c.peerId) === c) this.onFrame(c, frame);
    });
    this.sendQuietly(c, { type: 'hello', version: PROTOCOL_VERSION, peerId: this.localPeerId });
  }

  /**
   * Sends a message of the transport's own (hello, pong, a protocol error) that nobody waits on. A failed send
   * means the connection is closing, and its drop reports that; there is nothing more to tell anyone.
   */
  private sendQuietly(c: Connection, message: WireMessage): void {
    if (!c.sender) return;
    void this.sendEncoded(c, message).catch(() => {});
  }

  private onFrame(c: Connection, frame: Uint8Array): void {
    this.meter.received(c.peerId, frame.byteLength);
    // Anything from it since it was reported gone: the connection leads to a live process (see `markBack`).
    if (this.silentSinceLeft.get(c.peerId) === c) this.silentSinceLeft.delete(c.peerId);
    try {
      const message = c.frame(frame);
      if (message) this.receive(c, message);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.sendQuietly(c, { type: 'error', code: 'protocol', message: err.message, field: err.field ?? '' });
      // Let the error message go out before the link is torn down.
      setTimeout(() => this.drop(c, 'protocol-error', err), PROTOCOL_ERROR_LINGER_MS);
    }
  }

  private receive(c: Connection, message: WireMessage): void {
    if (c.state === 'connecting') {
      this.handshake(c, message);
      return;
    }
    switch (message.type) {
      case 'hello':
        return;
      case 'ping':
        this.sendQuietly(c, { type: 'pong', nonce: message.nonce, sentAt: message.sentAt });
        return;
      case 'pong':
        c.pong(message.nonce, message.sentAt);
        return;
    }
    this.touch(c);
    for (const l of this.messageListeners) l(c.peerId, message);
  }

  /** The first message on a connection must be the remote's hello (frame-rules.ts `checkHello`). */
  private handshake(c: Connection, message: WireMessage): void {
    checkHello(c.peerId, message);
    c.opened(++this.activity);
    this.gone.delete(c.peerId);
    const path = c.link?.path;
    this.events.emit('peer:connected', { peerId: c.peerId, ...(path && { path }) });
  }
}

/** The shared connection logic over `dialer`'s links (see the module header). */
export function createFramedTransport(
  localPeerId: string,
  dialer: Dialer,
  options: TransportOptions = {},
): FramedTransport {
  return new FramedTransport(localPeerId, dialer, options);
}
