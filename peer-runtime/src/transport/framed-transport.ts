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
 * - A peer whose connection dropped is remembered as gone: sends to it fail fast until it connects to us again
 *   or `connect(peerId)` is called explicitly.
 */
import { PeerError, ProtocolError } from '../errors.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { FramedSender } from '../protocol/framed-sender.js';
import { Reassembler } from '../protocol/framing.js';
import { PROTOCOL_VERSION, type WireMessage } from '../protocol/messages.js';
import { TypedEmitter } from '../typed-emitter.js';
import { type Dialer, type FrameLink, PeerUnreachableError } from './frame-link.js';
import type {
  ConnectionInfo,
  DisconnectReason,
  MessageListener,
  Transport,
  TransportEventName,
  TransportEvents,
  TransportOptions,
} from './types.js';

interface Connection {
  readonly peerId: string;
  state: 'connecting' | 'open';
  link: FrameLink | undefined;
  sender: FramedSender | undefined;
  reassembler: Reassembler;
  readonly ready: Promise<void>;
  resolveReady(): void;
  rejectReady(error: Error): void;
  readonly abort: AbortController;
  lastActivity: number;
  /** Order of last activity across connections (timestamps tie within a millisecond). */
  activity: number;
  /** True when this side dialed (for the glare rule). */
  readonly outgoing: boolean;
  readonly pings: Map<number, { resolve(rtt: number): void; reject(error: Error): void }>;
}

const PING_TIMEOUT_MS = 5_000;

export interface FramedTransport extends Transport {
  /** For dialers: a link the remote side opened to us. */
  accept(peerId: string, link: FrameLink): void;
  /** For dialers told by the signaling layer that a peer left: drop its connection and fail sends to it fast. */
  markGone(peerId: string): void;
  /** Whether a connection to `peerId` exists and is open. */
  isOpen(peerId: string): boolean;
}

export function createFramedTransport(
  localPeerId: string,
  dialer: Dialer,
  options: TransportOptions = {},
): FramedTransport {
  const maxConnections = options.maxConnections ?? 64;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const connectRetries = options.connectRetries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 250;

  const connections = new Map<string, Connection>();
  const gone = new Map<string, DisconnectReason>();
  const messageListeners = new Set<MessageListener>();
  // A listener's throw reaches the code that emitted, as before the emitter was shared.
  const eventListeners = new TypedEmitter<TransportEvents>({ catchListenerErrors: false });
  let closed = false;
  let nonce = 0;
  let activity = 0;

  function touch(c: Connection): void {
    c.lastActivity = Date.now();
    c.activity = ++activity;
  }

  const sweep =
    idleTimeoutMs > 0
      ? setInterval(
          () => {
            const now = Date.now();
            for (const c of [...connections.values()]) {
              if (c.state === 'open' && !c.sender?.busy && now - c.lastActivity >= idleTimeoutMs)
                drop(c, 'idle');
            }
          },
          Math.max(10, Math.min(5_000, idleTimeoutMs / 4)),
        )
      : undefined;
  sweep?.unref?.();

  function emit<E extends TransportEventName>(event: E, payload: TransportEvents[E]): void {
    eventListeners.emit(event, payload);
  }

  function peerError(peerId: string, message: string, cause?: unknown): PeerError {
    return new PeerError(peerId, `peer '${peerId}': ${message}`, { cause });
  }

  function newConnection(peerId: string, outgoing: boolean): Connection {
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
    const c: Connection = {
      peerId,
      state: 'connecting',
      link: undefined,
      sender: undefined,
      reassembler: new Reassembler({ maxMessageBytes: options.maxMessageBytes }),
      ready,
      resolveReady,
      rejectReady,
      abort: new AbortController(),
      lastActivity: Date.now(),
      activity: ++activity,
      outgoing,
      pings: new Map(),
    };
    connections.set(peerId, c);
    return c;
  }

  /** Frees a slot under the cap by closing the least recently used idle connection; false if none is idle. */
  function makeRoom(): boolean {
    if (connections.size < maxConnections) return true;
    let victim: Connection | undefined;
    for (const c of connections.values()) {
      if (c.state !== 'open' || c.sender?.busy) continue;
      if (!victim || c.activity < victim.activity) victim = c;
    }
    if (!victim) return false;
    drop(victim, 'evicted');
    return true;
  }

  function drop(c: Connection, reason: DisconnectReason, error?: Error): void {
    if (connections.get(c.peerId) !== c) return;
    connections.delete(c.peerId);
    c.abort.abort();
    const failure = peerError(c.peerId, `connection ${reason}${error ? `: ${error.message}` : ''}`, error);
    c.sender?.close(failure);
    c.link?.close();
    for (const p of c.pings.values()) p.reject(failure);
    c.pings.clear();
    c.rejectReady(failure);
    if (reason !== 'closed' && reason !== 'idle' && reason !== 'evicted') gone.set(c.peerId, reason);
    if (c.state === 'open') emit('peer:disconnected', { peerId: c.peerId, reason, ...(error && { error }) });
  }

  /** Puts `link` under `c`, replacing (and closing) any link it had; events of a replaced link are ignored. */
  function attach(c: Connection, link: FrameLink): void {
    const old = c.link;
    c.link = link;
    old?.close();
    c.sender?.close(peerError(c.peerId, 'link replaced'));
    c.reassembler = new Reassembler({ maxMessageBytes: options.maxMessageBytes });
    c.sender = new FramedSender(link.channel, {
      frameSize: link.frameSize,
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      makeError: (reason, cause) => peerError(c.peerId, reason, cause),
    });
    link.onClosed((reason, error) => {
      if (c.link === link) drop(c, reason, error);
    });
    link.onFrame((frame) => {
      if (c.link !== link) return;
      try {
        const bytes = c.reassembler.push(frame);
        if (bytes) receive(c, decodeMessage(bytes));
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        void c.sender
          ?.send(
            encodeMessage({ type: 'error', code: 'protocol', message: err.message, field: err.field ?? '' }),
          )
          .catch(() => {});
        // Let the error message go out before the link is torn down.
        setTimeout(() => drop(c, 'protocol-error', err), 50);
      }
    });
    void c.sender
      .send(encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, peerId: localPeerId }))
      .catch(() => {});
  }

  function receive(c: Connection, message: WireMessage): void {
    if (c.state === 'connecting') {
      if (message.type !== 'hello')
        throw new ProtocolError(`expected 'hello' first, got '${message.type}'`, 'type');
      if (message.version !== PROTOCOL_VERSION) {
        throw new ProtocolError(`protocol version ${message.version} is not ${PROTOCOL_VERSION}`, 'version');
      }
      if (message.peerId !== c.peerId) {
        throw new ProtocolError(
          `hello from '${message.peerId}' on the connection to '${c.peerId}'`,
          'peerId',
        );
      }
      c.state = 'open';
      touch(c);
      gone.delete(c.peerId);
      c.resolveReady();
      emit('peer:connected', { peerId: c.peerId });
      return;
    }
    switch (message.type) {
      case 'hello':
        return;
      case 'ping':
        void c.sender
          ?.send(encodeMessage({ type: 'pong', nonce: message.nonce, sentAt: message.sentAt }))
          .catch(() => {});
        return;
      case 'pong': {
        const p = c.pings.get(message.nonce);
        c.pings.delete(message.nonce);
        p?.resolve(performance.now() - message.sentAt);
        return;
      }
    }
    touch(c);
    for (const l of messageListeners) l(c.peerId, message);
  }

  async function dialWithRetry(c: Connection): Promise<FrameLink> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= connectRetries; attempt++) {
      if (attempt > 0) {
        const delay = retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        await new Promise((r) => setTimeout(r, delay));
      }
      if (c.abort.signal.aborted) break;
      const attemptAbort = new AbortController();
      const onAbort = () => attemptAbort.abort();
      c.abort.signal.addEventListener('abort', onAbort);
      const timer = setTimeout(() => attemptAbort.abort(), connectTimeoutMs);
      try {
        return await dialer.dial(c.peerId, attemptAbort.signal);
      } catch (err) {
        lastError = err;
        if (err instanceof PeerUnreachableError) throw err;
      } finally {
        clearTimeout(timer);
        c.abort.signal.removeEventListener('abort', onAbort);
      }
    }
    throw lastError instanceof PeerError ? lastError : peerError(c.peerId, 'could not connect', lastError);
  }

  function ensure(peerId: string, explicit: boolean): Promise<void> {
    if (closed) return Promise.reject(peerError(peerId, 'the transport is closed'));
    if (peerId === localPeerId) return Promise.reject(peerError(peerId, 'cannot connect to ourselves'));
    const existing = connections.get(peerId);
    if (existing) return existing.ready;
    const wasGone = gone.get(peerId);
    if (wasGone && !explicit) return Promise.reject(peerError(peerId, `the peer is gone (${wasGone})`));
    gone.delete(peerId);
    if (!makeRoom())
      return Promise.reject(peerError(peerId, `connection cap of ${maxConnections} reached, all busy`));
    const c = newConnection(peerId, true);
    dialWithRetry(c).then(
      (link) => {
        if (connections.get(peerId) !== c || c.link) link.close();
        else attach(c, link);
      },
      (err: Error) => {
        if (!c.link) drop(c, 'failed', err);
      },
    );
    const timer = setTimeout(
      () => drop(c, 'failed', new Error('no hello in time')),
      connectTimeoutMs * (connectRetries + 2),
    );
    c.ready.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
    return c.ready;
  }

  const transport: FramedTransport = {
    localPeerId,
    async send(peerId, message) {
      await ensure(peerId, false);
      const c = connections.get(peerId);
      if (!c?.sender) throw peerError(peerId, 'not connected');
      touch(c);
      await c.sender.send(encodeMessage(message));
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    on(event, listener) {
      return eventListeners.on(event, listener);
    },
    connect: (peerId) => ensure(peerId, true),
    disconnect(peerId) {
      const c = connections.get(peerId);
      if (c) drop(c, 'closed');
    },
    async ping(peerId) {
      await ensure(peerId, false);
      const c = connections.get(peerId);
      if (!c?.sender) throw peerError(peerId, 'not connected');
      const n = nonce++;
      const rtt = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          c.pings.delete(n);
          reject(peerError(peerId, `no pong within ${PING_TIMEOUT_MS} ms`));
        }, PING_TIMEOUT_MS);
        c.pings.set(n, {
          resolve: (ms) => {
            clearTimeout(timer);
            resolve(ms);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
      await c.sender.send(encodeMessage({ type: 'ping', nonce: n, sentAt: performance.now() }));
      return rtt;
    },
    connections: () =>
      [...connections.values()].map(
        (c): ConnectionInfo => ({
          peerId: c.peerId,
          state: c.state,
          lastActivity: c.lastActivity,
          queuedBytes: c.sender?.queuedBytes ?? 0,
        }),
      ),
    async close() {
      if (closed) return;
      closed = true;
      if (sweep) clearInterval(sweep);
      for (const c of [...connections.values()]) drop(c, 'closed');
      dialer.close();
    },
    markGone(peerId) {
      const c = connections.get(peerId);
      if (c) drop(c, 'remote-closed', new Error('the peer left the mesh'));
      gone.set(peerId, 'remote-closed');
    },
    isOpen: (peerId) => connections.get(peerId)?.state === 'open',
    accept(peerId, link) {
      if (closed || peerId === localPeerId) return link.close();
      const existing = connections.get(peerId);
      if (existing?.state === 'connecting') {
        // Glare: keep the connection the lower peer id opened. Otherwise adopt the incoming link into the
        // pending connection, so callers already waiting on it are served by it.
        if (existing.outgoing && localPeerId < peerId) return link.close();
        attach(existing, link);
        return;
      }
      // An open connection being reopened means the remote side lost it (a restart, a network blip).
      if (existing) drop(existing, 'remote-closed', new Error('the peer opened a new connection'));
      if (!makeRoom()) return link.close();
      gone.delete(peerId);
      const c = newConnection(peerId, false);
      attach(c, link);
      const timer = setTimeout(() => drop(c, 'failed', new Error('no hello in time')), connectTimeoutMs);
      c.ready.then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    },
  };
  return transport;
}
