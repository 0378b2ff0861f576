/**
 * A typed socket.io-client wrapper for the signaling server: join a mesh, keep a live view of its members, relay
 * WebRTC signals, survive network blips with the same peer id. socket.io-client is universal, so this file runs
 * unchanged in Node and browsers.
 */
import { io, type Socket } from 'socket.io-client';
import { HandoutError } from '../errors.js';
import {
  type ClientToServerEvents,
  type EventError,
  type EventErrorCode,
  type Handshake,
  type MeshSnapshot,
  type PeerCapabilities,
  type PeerInfo,
  type PeerLeftMessage,
  type PeerState,
  type PeerUpdate,
  REFUSAL_REASONS,
  type RefusalReason,
  type Role,
  type ServerToClientEvents,
  SIGNALING_PROTOCOL_VERSION,
  type SignalData,
  type SignalRelay,
} from './contract.js';
import {
  mergeUpdate,
  validateMeshSnapshot,
  validatePeerInfo,
  validatePeerLeft,
  validateSignalFrom,
} from './validate.js';

export type SignalingErrorCode =
  | RefusalReason
  | EventErrorCode
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'invalid-message';

/** A signaling failure: `code` says which (branch on it, never on the message). */
export class SignalingError extends HandoutError {
  override name = 'SignalingError';
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly details: { readonly field?: string; readonly peerId?: string; readonly event?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused the connection (bad token, forged peer id, ...); the client does not retry. */
export class SignalingRefusedError extends SignalingError {
  override name = 'SignalingRefusedError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
    field?: string,
  ) {
    super(reason, `signaling server refused the connection (${reason}): ${message}`, field ? { field } : {});
  }
}

export interface SignalingClientOptions {
  /** The signaling server, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /**
   * The token, or a function asked on every (re)connect: a long-lived peer hands out a fresh one there, since
   * a reconnect with an expired token is refused.
   */
  token: string | (() => string);
  /** Omitted: the token's `sub`, or an id the server makes up. */
  peerId?: string;
  capabilities: PeerCapabilities;
  /** Default: `{ running: 0, slots: capabilities.cores, paused: false }`. */
  state?: PeerState;
  /** A subset of the token's roles to take. Default: all of them. */
  roles?: readonly Role[];
  /** The mesh expected; the server refuses if the token is for another one. */
  mesh?: string;
  /** Reject `connectSignaling` if not joined within this time. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Time to wait for the server's reply to `update`/`sendSignalAndWait`. Default 5 000 ms. */
  ackTimeoutMs?: number;
  /** First reconnect delay after a blip; doubles up to 2 s. Default 250 ms (the server's grace is a few seconds). */
  reconnectDelayMs?: number;
  /** Default `['websocket']`: no long-polling, so no CORS preflight or sticky sessions needed. */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
}

export interface SignalingClientEvents {
  'peer:joined': (peer: PeerInfo) => void;
  'peer:updated': (peer: PeerInfo) => void;
  'peer:left': (message: PeerLeftMessage) => void;
  signal: (from: string, data: SignalData) => void;
  /** A rejected event (e.g. a signal to an unknown peer), or a refused reconnect. */
  error: (error: SignalingError) => void;
  /** The connection dropped; the client is reconnecting with the same peer id. */
  disconnect: (reason: string) => void;
  /** Back after a blip; the membership view has been refreshed. */
  reconnect: () => void;
  /** Final: closed by `close()`, by the server, or after a refused reconnect. */
  close: (error?: SignalingError) => void;
}

export interface SignalingClient extends SignalRelay {
  readonly peerId: string;
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** This peer as the others see it. */
  readonly self: PeerInfo;
  readonly connected: boolean;
  /** The other members of the mesh, as last heard. */
  peers(): PeerInfo[];
  peer(peerId: string): PeerInfo | undefined;
  on<E extends keyof SignalingClientEvents>(event: E, listener: SignalingClientEvents[E]): () => void;
  /** Fire and forget (what the WebRTC transport uses); a rejection arrives as an `error` event naming the peer. */
  sendSignal(to: string, data: SignalData): void;
  /** Like `sendSignal`, but resolves when the server relayed it and rejects with a SignalingError otherwise. */
  sendSignalAndWait(to: string, data: SignalData): Promise<void>;
  onSignal(listener: (from: string, data: SignalData) => void): () => void;
  /** Change capabilities or state; every member sees `peer:updated`. */
  update(update: PeerUpdate): Promise<void>;
  close(): Promise<void>;
}

type Listeners = { [E in keyof SignalingClientEvents]: Set<SignalingClientEvents[E]> };

function eventError(error: EventError): SignalingError {
  const details: { field?: string; peerId?: string; event: string } = { event: error.event };
  if (error.field) details.field = error.field;
  if (error.peerId) details.peerId = error.peerId;
  return new SignalingError(error.code, `${error.event}: ${error.message}`, details);
}

/** The refusal carried by a middleware `connect_error`, if it is one. */
function refusal(err: Error & { data?: unknown }): SignalingRefusedError | undefined {
  const data = err.data as { reason?: unknown; message?: unknown; field?: unknown } | undefined;
  if (!data || !(REFUSAL_REASONS as readonly unknown[]).includes(data.reason)) return undefined;
  return new SignalingRefusedError(
    data.reason as RefusalReason,
    typeof data.message === 'string' ? data.message : err.message,
    typeof data.field === 'string' ? data.field : undefined,
  );
}

export function connectSignaling(options: SignalingClientOptions): Promise<SignalingClient> {
  const ackTimeoutMs = options.ackTimeoutMs ?? 5000;
  const listeners: Listeners = {
    'peer:joined': new Set(),
    'peer:updated': new Set(),
    'peer:left': new Set(),
    signal: new Set(),
    error: new Set(),
    disconnect: new Set(),
    reconnect: new Set(),
    close: new Set(),
  };
  const emit = <E extends keyof SignalingClientEvents>(
    event: E,
    ...args: Parameters<SignalingClientEvents[E]>
  ) => {
    for (const l of listeners[event]) (l as (...a: Parameters<SignalingClientEvents[E]>) => void)(...args);
  };

  let snapshot: MeshSnapshot | undefined;
  let self: PeerInfo | undefined;
  let capabilities = options.capabilities;
  let state: PeerState = options.state ?? { running: 0, slots: options.capabilities.cores, paused: false };
  const members = new Map<string, PeerInfo>();
  let closed = false;

  // Called on every (re)connect, so a reconnect presents the id and resume key of the current session.
  const handshake = (): Handshake => {
    const h: { -readonly [K in keyof Handshake]: Handshake[K] } = {
      version: SIGNALING_PROTOCOL_VERSION,
      token: typeof options.token === 'function' ? options.token() : options.token,
      capabilities,
      state,
    };
    const peerId = self?.peerId ?? options.peerId;
    if (peerId) h.peerId = peerId;
    if (snapshot) h.resumeKey = snapshot.resumeKey;
    if (options.roles) h.roles = options.roles;
    if (options.mesh) h.mesh = options.mesh;
    return h;
  };

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(options.url, {
    auth: (cb) => cb({ ...handshake() }),
    transports: options.transports ?? ['websocket'],
    reconnectionDelay: options.reconnectDelayMs ?? 250,
    reconnectionDelayMax: 2000,
    forceNew: true,
  });

  const shutdown = (error?: SignalingError) => {
    if (closed) return;
    closed = true;
    socket.removeAllListeners();
    socket.disconnect();
    if (error) emit('error', error);
    emit('close', error);
  };

  const client: SignalingClient = {
    get peerId() {
      return self!.peerId;
    },
    get mesh() {
      return snapshot!.mesh;
    },
    get roles() {
      return self!.roles;
    },
    get self() {
      return self!;
    },
    get connected() {
      return !closed && socket.connected;
    },
    peers: () => [...members.values()],
    peer: (peerId) => members.get(peerId),
    on(event, listener) {
      listeners[event].add(listener);
      return () => listeners[event].delete(listener);
    },
    sendSignal(to, data) {
      client.sendSignalAndWait(to, data).catch((error: SignalingError) => emit('error', error));
    },
    sendSignalAndWait(to, data) {
      return new Promise((resolve, reject) => {
        if (closed)
          return reject(new SignalingError('closed', 'the signaling client is closed', { peerId: to }));
        socket.timeout(ackTimeoutMs).emit('signal', { to, data }, (err, ack) => {
          if (err)
            reject(new SignalingError('timeout', `no reply to a signal for peer '${to}'`, { peerId: to }));
          else if (!ack.ok) reject(eventError(ack.error));
          else resolve();
        });
      });
    },
    onSignal(listener) {
      return client.on('signal', listener);
    },
    update(update) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(new SignalingError('closed', 'the signaling client is closed'));
        socket.timeout(ackTimeoutMs).emit('peer:update', update, (err, ack) => {
          if (err) return reject(new SignalingError('timeout', 'no reply to peer:update'));
          if (!ack.ok) return reject(eventError(ack.error));
          // Remember the merged view so a reconnect re-advertises it.
          ({ capabilities, state } = mergeUpdate({ capabilities, state }, update));
          if (self) self = { ...self, capabilities, state };
          resolve();
        });
      });
    },
    close() {
      shutdown();
      return Promise.resolve();
    },
  };

  const invalid = (event: string, message: string) =>
    emit(
      'error',
      new SignalingError('invalid-message', `server sent an invalid '${event}': ${message}`, { event }),
    );

  return new Promise<SignalingClient>((resolve, reject) => {
    let joined = false;
    const timer = setTimeout(() => {
      fail(new SignalingError('timeout', `not joined within ${options.connectTimeoutMs ?? 10_000} ms`));
    }, options.connectTimeoutMs ?? 10_000);
    const fail = (error: SignalingError) => {
      clearTimeout(timer);
      if (!joined) {
        shutdown();
        reject(error);
      } else shutdown(error);
    };

    socket.on('mesh:peers', (raw) => {
      const checked = validateMeshSnapshot(raw);
      if (!checked.ok) return invalid('mesh:peers', checked.error.message);
      const next = checked.value;
      snapshot = next;
      self = next.self;
      const fresh = new Map(next.peers.map((p) => [p.peerId, p]));
      if (!joined) {
        for (const [id, p] of fresh) members.set(id, p);
        joined = true;
        clearTimeout(timer);
        resolve(client);
        return;
      }
      // A rejoin: report what changed while we were away, as if we had heard it live.
      for (const [id] of members) {
        if (!fresh.has(id)) {
          members.delete(id);
          emit('peer:left', { peerId: id, reason: 'lost' });
        }
      }
      for (const [id, p] of fresh) {
        const had = members.get(id);
        members.set(id, p);
        if (!had) emit('peer:joined', p);
        else if (JSON.stringify(had) !== JSON.stringify(p)) emit('peer:updated', p);
      }
      emit('reconnect');
    });
    socket.on('peer:joined', (raw) => {
      const checked = validatePeerInfo(raw);
      if (!checked.ok) return invalid('peer:joined', checked.error.message);
      if (checked.value.peerId === self?.peerId) return;
      members.set(checked.value.peerId, checked.value);
      emit('peer:joined', checked.value);
    });
    socket.on('peer:updated', (raw) => {
      const checked = validatePeerInfo(raw);
      if (!checked.ok) return invalid('peer:updated', checked.error.message);
      if (checked.value.peerId === self?.peerId) return;
      members.set(checked.value.peerId, checked.value);
      emit('peer:updated', checked.value);
    });
    socket.on('peer:left', (raw) => {
      const checked = validatePeerLeft(raw);
      if (!checked.ok) return invalid('peer:left', checked.error.message);
      if (members.delete(checked.value.peerId)) emit('peer:left', checked.value);
    });
    socket.on('signal', (raw) => {
      const checked = validateSignalFrom(raw);
      if (!checked.ok) return invalid('signal', checked.error.message);
      emit('signal', checked.value.from, checked.value.data);
    });
    socket.on('error', (error) => emit('error', eventError(error)));
    socket.on('connect_error', (err) => {
      const refused = refusal(err);
      if (refused) return fail(refused);
      // Before the first join, an unreachable server is an answer; afterwards socket.io keeps retrying.
      if (!joined)
        fail(
          new SignalingError(
            'unreachable',
            `cannot reach ${options.url}: ${err.message}`,
            {},
            { cause: err },
          ),
        );
    });
    socket.on('disconnect', (reason) => {
      if (closed) return;
      if (reason === 'io server disconnect') {
        return fail(new SignalingError('closed', 'the signaling server closed the connection'));
      }
      emit('disconnect', reason);
    });
  });
}
