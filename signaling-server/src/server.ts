/**
 * `createSignalingServer`: an HTTP server (health, metrics, static files) with socket.io on it. Admission happens
 * in the socket.io middleware (cheap checks first: packet shape and size, per-address limits; then the token and
 * the id claim), so a refused client gets `connect_error` with the reason. Accepted sockets are served by
 * ./connection.ts.
 */

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClientToServerEvents,
  createTokenVerifier,
  keyIdOf,
  LIMITS,
  type PeerInfo,
  type Role,
  type ServerToClientEvents,
  signToken,
} from '@handout/peer-runtime/signaling';
import { type Logger, silentLogger } from '@handout/peer-runtime/telemetry';
import { Server } from 'socket.io';
import { AddressLimits, clientAddress, type Headers } from './address-limits.js';
import { admissionMiddleware } from './admission-middleware.js';
import {
  announceDeparture,
  type ConnectionContext,
  type PeerSocket,
  type SocketData,
  serveConnection,
} from './connection.js';
import { createHttpHandler } from './http.js';
import { iceRenewalPeriodMs } from './ice-renewal.js';
import { broadcastMembers } from './member-broadcast.js';
import { MemberUpdates } from './member-updates.js';
import { MetricsRecorder, type SignalingMetrics } from './metrics.js';
import { SERVER_DEFAULTS, type SignalingServerOptions } from './options.js';
import { hardenedParser } from './parser.js';
import { startPresence } from './presence.js';
import { randomId } from './registry.js';
import { peerInfo } from './registry-types.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { LocalSessions, type Session } from './sessions.js';
import { openRegistry, type SharedState } from './shared-state.js';
import { checkIceOptions, DEFAULT_TURN_TTL_SECONDS, iceServersFor } from './turn-credentials.js';

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
  const log = options.logger ?? silentLogger;
  const verifier = createTokenVerifier({
    keys: [{ kid, secret }, ...(options.keys ?? [])],
    ...(options.jwksUrl !== undefined && { jwksUrl: options.jwksUrl }),
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
  });
  const graceMs = options.reconnectGraceMs ?? d.reconnectGraceMs;
  const stunUrls = options.stunUrls ?? [];
  checkIceOptions(stunUrls, options.turn);
  const turn = options.turn;
  const shared: SharedState = await openRegistry(options, graceMs, log);
  const { registry } = shared;
  const sessions = new LocalSessions();
  const recorder = new MetricsRecorder();
  const runtime = new RuntimeMetrics();
  const addresses = new AddressLimits(options);
  const trustProxy = options.trustProxy === true;
  const metrics = () => recorder.snapshot(registry.gauges());
  let closing = false;

  const http = createHttpServer(
    createHttpHandler({
      metrics,
      runtimeMetrics: () => runtime.text(),
      startedAt: Date.now(),
      staticDir: options.staticDir,
    }),
    log,
  );
  const io = createIo(http, options, addresses, trustProxy);
  shared.attach(io, () => sessions.size);
  const coalesceJoins = options.coalesceJoins ?? true;
  const updates = new MemberUpdates<Session>(
    {
      intervalMs: options.broadcastIntervalMs ?? d.broadcastIntervalMs,
      maxPerFlush: options.maxBroadcastPeers ?? d.maxBroadcastPeers,
      coalesceJoins,
    },
    broadcastMembers(io, sessions, recorder, coalesceJoins),
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

  io.use(admissionMiddleware(ctx, { trustProxy, rateLimit: options.rateLimit }));

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
    issueToken: tokenIssuer(kid, secret),
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

/** The HTTP server under socket.io: a request the handler fails on is logged and answered 500. */
function createHttpServer(handler: ReturnType<typeof createHttpHandler>, log: Logger): HttpServer {
  return createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      log.error('http request failed', { url: req.url, error: String(e) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

/** socket.io on `http`: presence by engine.io pings, size-limited and hardened frames, new transports counted. */
function createIo(
  http: HttpServer,
  options: SignalingServerOptions,
  addresses: AddressLimits,
  trustProxy: boolean,
): ConnectionContext['io'] {
  const d = SERVER_DEFAULTS;
  const presenceMs = options.presenceTimeoutMs ?? d.presenceTimeoutMs;
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
  return io;
}

/** `SignalingServer.issueToken` for this server's own key. */
function tokenIssuer(kid: string, secret: string): (options: IssueTokenOptions) => string {
  return ({ mesh, roles, ttlSeconds = 3600, sub, trusted }) => {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const payload = {
      mesh,
      roles,
      exp,
      ...(sub !== undefined && { sub }),
      ...(trusted === true && { trusted }),
    };
    return signToken(payload, { kid, secret });
  };
}
