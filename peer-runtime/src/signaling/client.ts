/**
 * A typed socket.io-client wrapper for the signaling server: join a mesh, keep a live view of its members, relay
 * WebRTC signals, survive network blips with the same peer id, renew the token before the session expires.
 * socket.io-client is universal, so this file runs unchanged in Node and browsers.
 */
import { io, type Socket } from 'socket.io-client';
import { closeCode, eventError, refusalOf, SignalingError } from './client-errors.js';
import { MemberView } from './client-members.js';
import type { SignalingClient, SignalingClientEvents, SignalingClientOptions } from './client-types.js';
import {
  type Ack,
  CLOSE_MESSAGE_TOO_BIG,
  type ClientToServerEvents,
  type Handshake,
  type IceServerConfig,
  type MeshSnapshot,
  type PeerInfo,
  type PeerState,
  type ServerToClientEvents,
  SIGNALING_PROTOCOL_VERSION,
  type SignalData,
} from './contract.js';
import { base64urlDecode } from './token.js';
import { readTokenClaims } from './token-claims.js';
import {
  mergeUpdate,
  validateIceServers,
  validateMembersChanged,
  validateMeshSnapshot,
  validatePeerInfo,
  validatePeerLeft,
  validateSessionClosing,
  validateSignalFrom,
  validateTokenExpiring,
} from './validate.js';

export { SignalingError, type SignalingErrorCode, SignalingRefusedError } from './client-errors.js';
export type { SignalingClient, SignalingClientEvents, SignalingClientOptions } from './client-types.js';

/** socket.io's longest wait between reconnect attempts. */
const RECONNECT_DELAY_MAX_MS = 2000;

/** The URL list of `options.url`, checked: at least one, each an http(s) or ws(s) URL. */
export function signalingUrls(url: string | readonly string[]): readonly string[] {
  const list = typeof url === 'string' ? [url] : url;
  if (list.length === 0) throw new SignalingError('unreachable', 'no signaling URL given');
  for (const u of list) {
    if (!URL.canParse(u) || !/^(https?|wss?):$/.test(new URL(u).protocol)) {
      throw new SignalingError('unreachable', `'${u}' is not an http(s) or ws(s) URL of a signaling server`);
    }
  }
  return list;
}

type Listeners = { [E in keyof SignalingClientEvents]: Set<SignalingClientEvents[E]> };

/**
 * Joins and returns the client once the welcome (`mesh:peers`) arrived. This is one long closure on purpose: the
 * session state it holds (snapshot, token, advertised capabilities, the closing reason) is shared by the
 * handshake of every reconnect, the requests and the server's events. The parts with no share in it live apart:
 * the member view (client-members.ts), the errors (client-errors.ts), the public types (client-types.ts).
 */
export function connectSignaling(options: SignalingClientOptions): Promise<SignalingClient> {
  const ackTimeoutMs = options.ackTimeoutMs ?? 5000;
  const listeners: Listeners = {
    'peer:joined': new Set(),
    'peer:updated': new Set(),
    'peer:left': new Set(),
    signal: new Set(),
    error: new Set(),
    renewed: new Set(),
    'ice:renewed': new Set(),
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

  /**
   * Signals that arrive before anyone listens for them. A peer is visible to the mesh as soon as it joined, but
   * its transport subscribes only once the rest of the peer is assembled (its cache opened: LMDB takes a while
   * to load); an offer relayed in between would otherwise be lost and the dialing peer would take this one for
   * unreachable. Bounded: a peer that never listens keeps at most this many.
   */
  let earlySignals: [from: string, data: SignalData][] | undefined = [];
  const EARLY_SIGNALS_MAX = 256;

  let snapshot: MeshSnapshot | undefined;
  /** The welcome's ICE servers, replaced by each `ice:servers` (fresh TURN credentials) until the next welcome. */
  let iceServers: readonly IceServerConfig[] = [];
  let self: PeerInfo | undefined;
  let tokenExp = 0;
  let renewedToken: string | undefined;
  let capabilities = options.capabilities;
  let state: PeerState = options.state ?? { running: 0, slots: options.capabilities.cores, paused: false };
  const members = new MemberView({
    joined: (p) => emit('peer:joined', p),
    updated: (p) => emit('peer:updated', p),
    left: (m) => emit('peer:left', m),
  });
  let closed = false;
  /** The reason the server gave (`session:closing`) before it disconnects us. */
  let closingReason: SignalingError | undefined;

  const currentToken = () =>
    typeof options.token === 'function' ? options.token() : (renewedToken ?? options.token);

  // Called on every (re)connect, so a reconnect presents the id and resume key of the current session.
  const handshake = (): Handshake => {
    const h: { -readonly [K in keyof Handshake]: Handshake[K] } = {
      version: SIGNALING_PROTOCOL_VERSION,
      token: currentToken(),
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

  let urls: readonly string[];
  try {
    urls = signalingUrls(options.url);
  } catch (error) {
    return Promise.reject(error);
  }
  let urlIndex = 0;
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(urls[0] as string, {
    auth: (cb) => cb({ ...handshake() }),
    transports: options.transports ?? ['websocket'],
    reconnectionDelay: options.reconnectDelayMs ?? 250,
    reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
    forceNew: true,
  });
  // Every retry (the first connection's or a reconnect's) goes to the next URL of the list: a signaling process
  // that died is skipped after one failed attempt, and with Redis any process can resume this session. socket.io
  // reads its Manager's `uri` anew for each attempt (engine.io parses host, port and scheme from it).
  socket.io.on('reconnect_attempt', () => {
    if (urls.length < 2) return;
    urlIndex = (urlIndex + 1) % urls.length;
    (socket.io as unknown as { uri: string }).uri = urls[urlIndex] as string;
  });

  const shutdown = (error?: SignalingError) => {
    if (closed) return;
    closed = true;
    members.clear();
    socket.io.removeAllListeners();
    socket.removeAllListeners();
    socket.disconnect();
    if (error) emit('error', error);
    emit('close', error);
  };

  /** One acknowledged request; a timeout or a refusal rejects with a SignalingError. */
  const request = <E extends 'peer:update' | 'signal' | 'token:renew'>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
    timeout: SignalingError,
  ): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed)
        return reject(new SignalingError('closed', 'the signaling client is closed', timeout.details));
      // socket.io's typings cannot resolve an emit over a union of event names; each one's payload is typed above.
      const emitter = socket.timeout(ackTimeoutMs) as unknown as {
        emit(e: E, p: typeof payload, ack: (err: Error | null, ack: Ack) => void): void;
      };
      emitter.emit(event, payload, (err, ack) => {
        if (err) reject(timeout);
        else if (!ack.ok) reject(eventError(ack.error));
        else resolve();
      });
    });

  const renew = async (token: string) => {
    await request('token:renew', { token }, new SignalingError('timeout', 'no reply to token:renew'));
    // The server verified it; reading the claims again here only learns the new expiry.
    tokenExp = readTokenClaims(token).exp;
    if (typeof options.token !== 'function') renewedToken = token;
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
    get url() {
      return urls[urlIndex] as string;
    },
    get connected() {
      return !closed && socket.connected;
    },
    get fetchKey() {
      return snapshot?.fetchKey === undefined ? undefined : base64urlDecode(snapshot.fetchKey);
    },
    get meshKey() {
      return snapshot?.meshKey === undefined ? undefined : base64urlDecode(snapshot.meshKey);
    },
    get tokenExp() {
      return tokenExp;
    },
    get iceServers() {
      return iceServers;
    },
    peers: () => members.all(),
    peer: (peerId) => members.get(peerId),
    on(event, listener) {
      listeners[event].add(listener);
      return () => listeners[event].delete(listener);
    },
    sendSignal(to, data) {
      client.sendSignalAndWait(to, data).catch((error: SignalingError) => emit('error', error));
    },
    sendSignalAndWait(to, data) {
      const timeout = new SignalingError('timeout', `no reply to a signal for peer '${to}'`, { peerId: to });
      return request('signal', { to, data }, timeout);
    },
    onSignal(listener) {
      const off = client.on('signal', listener);
      // The first listener gets what arrived before it (see earlySignals), on a later turn so it is set up.
      const early = earlySignals ?? [];
      earlySignals = undefined;
      if (early.length > 0) {
        queueMicrotask(() => {
          for (const [from, data] of early) emit('signal', from, data);
        });
      }
      return off;
    },
    async update(update) {
      await request('peer:update', update, new SignalingError('timeout', 'no reply to peer:update'));
      // Remember the merged view so a reconnect re-advertises it.
      ({ capabilities, state } = mergeUpdate({ capabilities, state }, update));
      if (self) self = { ...self, capabilities, state };
    },
    async renewToken(token) {
      await renew(token);
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

  // `token:expiring`: ask the application for a new token and hand it over; at expiry the server closes us.
  const onExpiring = async () => {
    const source =
      options.renewToken ??
      (typeof options.token === 'function' ? (options.token as () => string) : undefined);
    if (!source) return;
    try {
      await renew(await source());
      emit('renewed', tokenExp);
    } catch (e) {
      emit(
        'error',
        e instanceof SignalingError
          ? e
          : new SignalingError('token-rejected', `renewToken failed: ${String(e)}`, {}, { cause: e }),
      );
    }
  };

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
      iceServers = next.iceServers ?? [];
      self = next.self;
      tokenExp = next.tokenExp;
      members.snapshot(next.peers, !joined, next.reconnectGraceMs);
      if (!joined) {
        joined = true;
        clearTimeout(timer);
        resolve(client);
        return;
      }
      emit('reconnect');
    });
    socket.on('peer:joined', (raw) => {
      const checked = validatePeerInfo(raw);
      if (!checked.ok) return invalid('peer:joined', checked.error.message);
      if (checked.value.peerId !== self?.peerId) members.joined(checked.value);
    });
    socket.on('members:changed', (raw) => {
      const checked = validateMembersChanged(raw);
      if (!checked.ok) return invalid('members:changed', checked.error.message);
      const { joined: joins = [], updated } = checked.value;
      for (const p of joins) if (p.peerId !== self?.peerId) members.joined(p);
      const own = updated.find((p) => p.peerId === self?.peerId);
      if (own) self = own;
      members.changed(updated);
    });
    socket.on('peer:left', (raw) => {
      const checked = validatePeerLeft(raw);
      if (!checked.ok) return invalid('peer:left', checked.error.message);
      members.left(checked.value);
    });
    socket.on('signal', (raw) => {
      const checked = validateSignalFrom(raw);
      if (!checked.ok) return invalid('signal', checked.error.message);
      if (earlySignals && listeners.signal.size === 0) {
        if (earlySignals.length < EARLY_SIGNALS_MAX)
          earlySignals.push([checked.value.from, checked.value.data]);
        return;
      }
      emit('signal', checked.value.from, checked.value.data);
    });
    socket.on('token:expiring', (raw) => {
      const checked = validateTokenExpiring(raw);
      if (!checked.ok) return invalid('token:expiring', checked.error.message);
      void onExpiring();
    });
    socket.on('ice:servers', (raw) => {
      const checked = validateIceServers(raw);
      if (!checked.ok) return invalid('ice:servers', checked.error.message);
      iceServers = checked.value.iceServers;
      emit('ice:renewed', iceServers);
    });
    socket.on('session:closing', (raw) => {
      const checked = validateSessionClosing(raw);
      if (!checked.ok) return invalid('session:closing', checked.error.message);
      closingReason = new SignalingError(
        checked.value.reason,
        `the signaling server closed the session: ${checked.value.message}`,
      );
    });
    socket.on('error', (error) => emit('error', eventError(error)));
    let unreachable = 0;
    socket.on('connect_error', (err) => {
      const refused = refusalOf(err);
      if (refused) return fail(refused);
      // Before the first join, every URL unreachable once is an answer; afterwards socket.io keeps retrying.
      if (!joined && ++unreachable >= urls.length)
        fail(
          new SignalingError(
            'unreachable',
            `cannot reach ${urls.join(' or ')}: ${err.message}`,
            {},
            { cause: err },
          ),
        );
    });
    socket.on('disconnect', (reason, details) => {
      if (closed) return;
      if (reason === 'io server disconnect') {
        return fail(
          closingReason ?? new SignalingError('closed', 'the signaling server closed the connection'),
        );
      }
      if (closeCode(details) === CLOSE_MESSAGE_TOO_BIG) {
        const error = new SignalingError(
          'message-too-large',
          'the signaling server closed the connection: a message was over its size limit (WebSocket 1009)',
        );
        if (!joined) return fail(error);
        emit('error', error);
      }
      emit('disconnect', reason);
    });
  });
}
