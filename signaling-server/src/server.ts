/**
 * `createSignalingServer`: an HTTP server (health, metrics, static files) with socket.io on it. Admission and
 * id claims happen in the socket.io middleware, so a refused client gets `connect_error` with the reason;
 * every accepted socket then gets its mesh snapshot, and its events are rate-limited, validated and answered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Ack,
  CLIENT_EVENTS,
  type ClientToServerEvents,
  type EventError,
  type LeaveReason,
  mergeUpdate,
  type PeerInfo,
  type Refusal,
  type Role,
  type ServerToClientEvents,
  SIGNALING_PROTOCOL_VERSION,
  signToken,
  validatePeerUpdate,
  validateSignalTo,
} from '@handout/peer-runtime/signaling';
import { Server, type Socket } from 'socket.io';
import { admit } from './auth.js';
import { createHttpHandler } from './http.js';
import { MetricsRecorder, type SignalingMetrics } from './metrics.js';
import { type RateLimitOptions, TokenBucket } from './rate-limit.js';
import { type ClaimResult, type PeerEntry, PeerRegistry, peerInfo, randomId } from './registry.js';
import { routeSignal } from './relay.js';

export interface SignalingLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface SignalingServerOptions {
  /** TCP port. Default 8080; 0 picks a free one (read it from the result). */
  port?: number;
  /** Interface to bind. Default 127.0.0.1: exposing the server is a deliberate choice. */
  host?: string;
  /** HMAC secret for tokens. Default: 32 random bytes (read it from the result to issue tokens). */
  secret?: string;
  /** When set, only tokens for these meshes are accepted. Default: any mesh. */
  meshes?: readonly string[];
  /**
   * How long a silent connection (peer frozen, cable pulled) lives before the server drops it: socket.io pings
   * every half of this and waits the other half for the pong. Default 5000 ms. A killed process is noticed at
   * once (its TCP connection closes), a silent one within this time.
   */
  presenceTimeoutMs?: number;
  /** How long a dropped peer keeps its id and membership, waiting for it to reconnect. Default 3000 ms. */
  reconnectGraceMs?: number;
  /** Per-socket token bucket. Default 200 events burst, 100 per second. */
  rateLimit?: RateLimitOptions;
  /** Largest socket.io message accepted; bigger ones close the socket. Default 256 KiB (an SDP is at most 64). */
  maxMessageBytes?: number;
  /** Origins allowed for browser clients using long-polling. Default: none (WebSocket is not subject to CORS). */
  corsOrigin?: string | readonly string[];
  /** Directory served as static files (the demo page). Default: none. */
  staticDir?: string;
  /** Default: silent. */
  logger?: SignalingLogger;
}

export interface IssueTokenOptions {
  mesh: string;
  roles: readonly Role[];
  /** Default 3600 (one hour). */
  ttlSeconds?: number;
  /** Bind the token to one peer id. */
  sub?: string;
}

export interface SignalingServer {
  /** `http://host:port`: what clients connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  issueToken(options: IssueTokenOptions): string;
  metrics(): SignalingMetrics;
  /** The members of a mesh, or of every mesh. */
  peers(mesh?: string): PeerInfo[];
  close(): Promise<void>;
}

interface SocketData {
  entry: PeerEntry;
  claim: Extract<ClaimResult, { ok: true }>;
  /** The peer as the others knew it before this resume, to tell whether to announce a change. */
  before?: string;
  bucket: TokenBucket;
}

type PeerSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const silent: SignalingLogger = { info() {}, warn() {} };
const room = (mesh: string) => `mesh:${mesh}`;

function reply(socket: PeerSocket, ack: unknown, result: Ack): void {
  if (typeof ack === 'function') (ack as (result: Ack) => void)(result);
  else if (!result.ok) socket.emit('error', result.error);
}

export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? '127.0.0.1';
  const secret = options.secret ?? randomId(32);
  const graceMs = options.reconnectGraceMs ?? 3000;
  const presenceMs = options.presenceTimeoutMs ?? 5000;
  const log = options.logger ?? silent;
  const registry = new PeerRegistry();
  const recorder = new MetricsRecorder();
  const metrics = () => recorder.snapshot(registry.counts());
  let closing = false;

  const handler = createHttpHandler({ metrics, startedAt: Date.now(), staticDir: options.staticDir });
  const http = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      log.warn('http request failed', { url: req.url, error: String(e) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(http, {
    pingInterval: Math.ceil(presenceMs / 2),
    pingTimeout: Math.ceil(presenceMs / 2),
    maxHttpBufferSize: options.maxMessageBytes ?? 256 * 1024,
    serveClient: false,
    ...(options.corsOrigin ? { cors: { origin: options.corsOrigin as string | string[] } } : {}),
  });

  const refuse = (next: (err?: Error) => void, refusal: Refusal) => {
    recorder.refused(refusal.reason);
    log.info('connection refused', { ...refusal });
    next(Object.assign(new Error(refusal.message), { data: refusal }));
  };

  io.use((socket, next) => {
    const admitted = admit(socket.handshake.auth, { secret, meshes: options.meshes, now: Date.now });
    if (!admitted.ok) return refuse(next, admitted.refusal);
    const { admission } = admitted;
    const h = admission.handshake;
    const previous = admission.peerId ? registry.get(admission.mesh, admission.peerId) : undefined;
    const before = previous ? JSON.stringify(peerInfo(previous)) : undefined;
    const claim = registry.claim(
      {
        mesh: admission.mesh,
        peerId: admission.peerId,
        resumeKey: h.resumeKey,
        socketId: socket.id,
        roles: admission.roles,
        capabilities: h.capabilities,
        state: h.state ?? { running: 0, slots: h.capabilities.cores, paused: false },
      },
      Date.now(),
    );
    if (!claim.ok) return refuse(next, claim.refusal);
    socket.data = { entry: claim.entry, claim, bucket: new TokenBucket(options.rateLimit), before };
    next();
  });

  const depart = (entry: PeerEntry, reason: LeaveReason) => {
    if (!registry.remove(entry)) return;
    recorder.departed(reason);
    log.info('peer left', { mesh: entry.mesh, peerId: entry.peerId, reason });
    io.to(room(entry.mesh)).emit('peer:left', { peerId: entry.peerId, reason });
  };

  io.on('connection', (socket: PeerSocket) => {
    const { entry, claim, before } = socket.data;
    const info = peerInfo(entry);
    socket.join(room(entry.mesh));
    recorder.connections++;
    if (claim.kind === 'resumed') {
      recorder.resumes++;
      // The server had not seen the old socket drop yet; the resume key proved this one is the same peer.
      if (claim.replacedSocketId) io.sockets.sockets.get(claim.replacedSocketId)?.disconnect(true);
    }
    socket.emit('mesh:peers', {
      version: SIGNALING_PROTOCOL_VERSION,
      mesh: entry.mesh,
      self: info,
      peers: registry.members(entry.mesh, entry.peerId).map(peerInfo),
      resumeKey: entry.resumeKey,
      reconnectGraceMs: graceMs,
    });
    if (claim.kind === 'joined') socket.to(room(entry.mesh)).emit('peer:joined', info);
    else if (before !== JSON.stringify(info)) socket.to(room(entry.mesh)).emit('peer:updated', info);
    log.info(claim.kind === 'joined' ? 'peer joined' : 'peer resumed', {
      mesh: entry.mesh,
      peerId: entry.peerId,
    });

    const reject = (ack: unknown, error: EventError) => {
      recorder.rejected(error.code);
      reply(socket, ack, { ok: false, error });
    };

    // Runs before any handler: unknown events and floods never reach one.
    socket.use(([event, ...args], next) => {
      const ack = args[args.length - 1];
      if (!socket.data.bucket.take()) {
        return reject(ack, { code: 'rate-limited', event, message: 'too many events; slow down' });
      }
      if (!(CLIENT_EVENTS as readonly string[]).includes(event)) {
        return reject(ack, { code: 'unknown-event', event, message: `unknown event '${event}'` });
      }
      next();
    });

    socket.on('peer:update', (raw: unknown, ack: unknown) => {
      const checked = validatePeerUpdate(raw);
      if (!checked.ok) {
        const { message, field } = checked.error;
        return reject(ack, {
          code: 'invalid-payload',
          event: 'peer:update',
          message,
          ...(field ? { field } : {}),
        });
      }
      const merged = mergeUpdate(entry, checked.value);
      entry.capabilities = merged.capabilities;
      entry.state = merged.state;
      socket.to(room(entry.mesh)).emit('peer:updated', peerInfo(entry));
      reply(socket, ack, { ok: true });
    });

    socket.on('signal', (raw: unknown, ack: unknown) => {
      const checked = validateSignalTo(raw);
      if (!checked.ok) {
        const { message, field } = checked.error;
        return reject(ack, {
          code: 'invalid-payload',
          event: 'signal',
          message,
          ...(field ? { field } : {}),
        });
      }
      const route = routeSignal(registry, entry, checked.value);
      if (!route.ok) return reject(ack, route.error);
      io.to(route.socketId).emit('signal', { from: entry.peerId, data: checked.value.data });
      recorder.signalsRelayed++;
      reply(socket, ack, { ok: true });
    });

    socket.on('disconnect', (reason) => {
      // A resumed peer's old socket, or the whole server going down: nothing to announce.
      if (closing || entry.socketId !== socket.id) return;
      if (reason === 'client namespace disconnect') return depart(entry, 'left');
      if (reason === 'server namespace disconnect') return depart(entry, 'expelled');
      entry.socketId = null;
      if (graceMs <= 0) return depart(entry, 'lost');
      log.info('peer dropped; waiting for it to reconnect', {
        mesh: entry.mesh,
        peerId: entry.peerId,
        reason,
      });
      entry.graceTimer = setTimeout(() => depart(entry, 'lost'), graceMs);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 8080, host, () => {
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
    issueToken({ mesh, roles, ttlSeconds = 3600, sub }) {
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      return signToken(sub === undefined ? { mesh, roles, exp } : { mesh, roles, exp, sub }, secret);
    },
    metrics,
    peers(mesh) {
      const meshes = mesh === undefined ? registry.meshNames() : [mesh];
      return meshes.flatMap((m) => registry.members(m).map(peerInfo));
    },
    async close() {
      if (closing) return;
      closing = true;
      registry.clear();
      await io.close();
      http.closeAllConnections();
    },
  };
}
