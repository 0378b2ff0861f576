/**
 * `createSignalingServer`: an HTTP server (health, metrics, static files) with socket.io on it. Admission happens
 * in the socket.io middleware (cheap checks first: packet shape and size, per-address limits; then the token and
 * the id claim), so a refused client gets `connect_error` with the reason. Accepted sockets are served by
 * ./connection.ts.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClientToServerEvents,
  createTokenVerifier,
  keyIdOf,
  LIMITS,
  type PeerInfo,
  type Refusal,
  type Role,
  type ServerToClientEvents,
  signToken,
} from '@handout/peer-runtime/signaling';
import { silentLogger } from '@handout/peer-runtime/telemetry';
import { Server } from 'socket.io';
import { AddressLimits } from './address-limits.js';
import { admit, refusal } from './auth.js';
import {
  announceDeparture,
  type ConnectionContext,
  type PeerSocket,
  room,
  type SocketData,
  serveConnection,
} from './connection.js';
import { createHttpHandler } from './http.js';
import { iceRenewalPeriodMs } from './ice-renewal.js';
import { MemberUpdates } from './member-updates.js';
import { MetricsRecorder, type SignalingMetrics } from './metrics.js';
import { SERVER_DEFAULTS, type SignalingServerOptions } from './options.js';
import { handshakeProblem, hardenedParser } from './parser.js';
import { startPresence } from './presence.js';
import { TokenBucket } from './rate-limit.js';
import { randomId } from './registry.js';
import { peerInfo } from './registry-types.js';
import { hashResumeKey } from './resume-key.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { LocalSessions, type Session } from './sessions.js';
import { openRegistry, type SharedState } from './shared-state.js';
import {
  checkIceUrls,
  DEFAULT_TURN_TTL_SECONDS,
  iceServersFor,
  MIN_TURN_TTL_SECONDS,
} from './turn-credentials.js';

export interface IssueTokenOptions {
  mesh: string;
  roles: readonly Role[];
  /** Default 3600 (one hour). */
  ttlSeconds?: number;
  /** Bind the token to one peer id. Required with `coordinate`. */
  sub?: string;
  /** Mark the token as one of the mesh owner's machines. Default false. */
  trusted?: boolean;
}

export interface SignalingServer {
  /** `http://host:port`: what clients connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  /** The kid of `secret` in the tokens `issueToken` makes. */
  readonly kid: string;
  /** Signs a token with `secret`; throws TokenError (e.g. `unbound-coordinator`) for claims it would refuse. */
  issueToken(options: IssueTokenOptions): string;
  metrics(): SignalingMetrics;
  /** The members of a mesh, or of every mesh (of every process sharing the registry). */
  peers(mesh?: string): Promise<PeerInfo[]>;
  close(): Promise<void>;
}

export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const d = SERVER_DEFAULTS;
  const host = options.host ?? d.host;
  const secret = options.secret ?? randomId(32);
  const kid = options.secretKid ?? keyIdOf(secret);
  const presenceMs = options.presenceTimeoutMs ?? d.presenceTimeoutMs;
  const log = options.logger ?? silentLogger;
  const verifier = createTokenVerifier({
    keys: [{ kid, secret }, ...(options.keys ?? [])],
    ...(options.jwksUrl !== undefined && { jwksUrl: options.jwksUrl }),
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
  });
  const graceMs = options.reconnectGraceMs ?? d.reconnectGraceMs;
  const stunUrls = options.stunUrls ?? [];
  checkIceUrls(stunUrls, 'stun', 'stunUrls');
  const turn = options.turn;
  if (turn) {
    checkIceUrls(turn.urls, 'turn', 'turn.urls');
    if (turn.secret === '') throw new TypeError('turn.secret: the TURN shared secret must not be empty');
    const ttl = turn.ttlSeconds;
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= MIN_TURN_TTL_SECONDS))
      throw new TypeError(`turn.ttlSeconds: must be an integer >= ${MIN_TURN_TTL_SECONDS}, got ${ttl}`);
  }
  const shared: SharedState = await openRegistry(options, graceMs, log);
  const { registry } = shared;
  const sessions = new LocalSessions();
  const recorder = new MetricsRecorder();
  const runtime = new RuntimeMetrics();
  const addresses = new AddressLimits(options);
  const trustProxy = options.trustProxy === true;
  const metrics = () => recorder.snapshot(registry.gauges());
  let closing = false;

  const handler = createHttpHandler({
    metrics,
    runtimeMetrics: () => runtime.text(),
    startedAt: Date.now(),
    staticDir: options.staticDir,
  });
  const http = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      log.error('http request failed', { url: req.url, error: String(e) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(http, {
    pingInterval: Math.ceil(presenceMs / 2),
    pingTimeout: Math.ceil(presenceMs / 2),
    maxHttpBufferSize: options.maxMessageBytes ?? d.maxMessageBytes,
    connectTimeout: d.joinTimeoutMs,
    allowRequest: (req, answer) => {
      // Requests of an open engine.io session (long-polling) carry its sid: only new connections are counted.
      if (new URL(req.url ?? '/', 'http://localhost').searchParams.has('sid')) return answer(null, true);
      const address = clientAddress(req.socket.remoteAddress ?? '', req.headers, trustProxy);
      if (addresses.transportAllowed(address)) return answer(null, true);
      answer(`too many connections from ${address}`, false);
    },
    parser: hardenedParser(LIMITS),
    serveClient: false,
    ...(options.corsOrigin ? { cors: { origin: options.corsOrigin as string | string[] } } : {}),
  });

  shared.attach(io, () => sessions.size);
  const coalesceJoins = options.coalesceJoins ?? true;
  const updates = new MemberUpdates<Session>(
    {
      intervalMs: options.broadcastIntervalMs ?? d.broadcastIntervalMs,
      maxPerFlush: options.maxBroadcastPeers ?? d.maxBroadcastPeers,
      coalesceJoins,
    },
    (mesh, batch) => {
      // Joins go out even if the socket dropped meanwhile (its record waits in the grace window); a change of a
      // peer that left (or was replaced by a new session under its id) since it was marked is skipped.
      const updated = batch.updated.filter((s) => sessions.live(s)).map((s) => peerInfo(s.record));
      const joined = batch.joined.map((s) => peerInfo(s.record));
      if (!coalesceJoins) {
        for (const [i, s] of batch.joined.entries()) {
          io.to(room(mesh))
            .except(s.socketId)
            .emit('peer:joined', joined[i] as PeerInfo);
        }
        recorder.memberBroadcasts += batch.joined.length;
        if (updated.length === 0) return;
        io.to(room(mesh)).emit('members:changed', { updated });
      } else {
        if (updated.length + joined.length === 0) return;
        io.to(room(mesh)).emit('members:changed', { ...(joined.length > 0 && { joined }), updated });
      }
      recorder.memberBroadcasts++;
      recorder.memberBroadcastPeers += updated.length + joined.length;
    },
  );

  const authOptions = { verifier, meshes: options.meshes, now: Date.now };
  const ctx: ConnectionContext = {
    io,
    registry,
    sessions,
    recorder,
    runtime,
    updates,
    addresses,
    authOptions,
    log,
    secret,
    graceMs,
    renewBeforeMs: options.tokenRenewBeforeMs ?? d.tokenRenewBeforeMs,
    iceServers: (peerId) => iceServersFor(peerId, stunUrls, turn),
    ...(turn && { iceRenewalMs: iceRenewalPeriodMs(turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS) }),
    closing: () => closing,
  };

  const refuse = (
    next: (err?: Error) => void,
    refused: Refusal,
    address: string,
    timed?: (outcome: string) => void,
  ) => {
    recorder.refused(refused.reason);
    timed?.(refused.reason);
    log.warn('connection refused', { ...refused, address });
    next(Object.assign(new Error(refused.message), { data: refused }));
  };

  io.use((socket, next) => {
    const timed = runtime.startAdmission();
    const address = clientAddress(socket.handshake.address, socket.handshake.headers, trustProxy);
    const problem = handshakeProblem(socket.handshake.auth);
    if (problem) {
      const reason = problem.code === 'payload-too-large' ? 'handshake-too-large' : 'bad-handshake';
      return refuse(next, refusal(reason, problem.message, 'auth'), address, timed);
    }
    const limited = addresses.acquire(address);
    if (limited) return refuse(next, limited, address, timed);
    admit(socket.handshake.auth, authOptions)
      .then(async (admitted) => {
        // The client may have gone while the token was checked: claim nothing for a dead connection.
        if (closing || socket.conn.readyState !== 'open') {
          addresses.release(address);
          return next(new Error('the connection closed during admission'));
        }
        if (!admitted.ok) {
          addresses.release(address);
          return refuse(next, admitted.refusal, address, timed);
        }
        const { admission } = admitted;
        const h = admission.handshake;
        const resumeKey = randomId(24);
        const claim = await registry.claim({
          mesh: admission.mesh,
          peerId: admission.peerId ?? randomId(12),
          resumeKeyHash: h.resumeKey === undefined ? undefined : hashResumeKey(h.resumeKey),
          newResumeKeyHash: hashResumeKey(resumeKey),
          socketId: socket.id,
          roles: admission.roles,
          subject: admission.token.sub ?? null,
          trusted: admission.token.trusted === true,
          tokenExp: admission.token.exp,
          capabilities: h.capabilities,
          state: h.state ?? { running: 0, slots: h.capabilities.cores, paused: false },
        });
        if (!claim.ok) {
          addresses.release(address);
          return refuse(next, claim.refusal, address, timed);
        }
        if (closing || socket.conn.readyState !== 'open') {
          // Gone while the registry answered: give the id back at once (a resume gets the grace window).
          addresses.release(address);
          if (claim.kind === 'joined') await registry.remove(admission.mesh, claim.record.peerId, socket.id);
          else await registry.suspend(admission.mesh, claim.record.peerId, socket.id, graceMs);
          return next(new Error('the connection closed during admission'));
        }
        socket.data = {
          claim,
          resumeKey: claim.kind === 'joined' ? resumeKey : (h.resumeKey as string),
          bucket: new TokenBucket(options.rateLimit),
          address,
        };
        timed('admitted');
        next();
      })
      .catch((e: unknown) => {
        addresses.release(address);
        log.error('admission failed', { address, error: String(e) });
        next(new Error('the server could not check this connection'));
      });
  });

  io.engine.on(
    'connection',
    (conn: {
      remoteAddress: string;
      request: { headers: Headers };
      once(e: 'close', f: () => void): void;
    }) => {
      const address = clientAddress(conn.remoteAddress, conn.request.headers, trustProxy);
      addresses.transportOpened(address);
      conn.once('close', () => addresses.transportClosed(address));
    },
  );
  io.on('connection', (socket: PeerSocket) => serveConnection(ctx, socket));
  const presence = startPresence({
    registry,
    sessions,
    liveTtlMs: shared.liveTtlMs,
    sweepMs: shared.sweepMs,
    onExpired: (record) => announceDeparture(ctx, record, 'lost'),
    onError: (e) => log.warn('presence sweep failed', { error: String(e) }),
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? d.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('signaling server listening', { url });

  return {
    url,
    host,
    port,
    secret,
    kid,
    issueToken({ mesh, roles, ttlSeconds = 3600, sub, trusted }) {
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      const payload = {
        mesh,
        roles,
        exp,
        ...(sub !== undefined && { sub }),
        ...(trusted === true && { trusted }),
      };
      return signToken(payload, { kid, secret });
    },
    metrics,
    async peers(mesh) {
      const meshes = mesh === undefined ? await registry.meshNames() : [mesh];
      const lists = await Promise.all(meshes.map((m) => registry.members(m)));
      return lists.flat().map(peerInfo);
    },
    async close() {
      if (closing) return;
      closing = true;
      presence.stop();
      updates.stop();
      await io.close();
      http.closeAllConnections();
      await shared.close();
    },
  };
}

type Headers = Record<string, string | string[] | undefined>;

/** The client's address: the socket's, or with `trustProxy` the last `X-Forwarded-For` hop (the proxy's own). */
function clientAddress(remote: string, headers: Headers, trustProxy: boolean): string {
  if (!trustProxy) return remote;
  const header = headers['x-forwarded-for'];
  const last = (Array.isArray(header) ? header.at(-1) : header)?.split(',').at(-1)?.trim();
  return last || remote;
}
