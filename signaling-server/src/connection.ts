/**
 * One admitted socket: its welcome (`mesh:peers`, with the mesh key for coordinators), its events (rate-limited,
 * size- and shape-checked, validated, answered), its token's expiry and renewal, and its departure. Every check
 * on what a connected peer sends is in `screen` and the handlers below it, in one place.
 */
import {
  type Ack,
  CLIENT_EVENTS,
  type ClientToServerEvents,
  type EventError,
  type LeaveReason,
  mergeUpdate,
  type ServerToClientEvents,
  SIGNALING_PROTOCOL_VERSION,
  validatePeerUpdate,
  validateSignalTo,
  validateTokenRenew,
} from '@handout/peer-runtime/signaling';
import type { Server, Socket } from 'socket.io';
import type { AddressLimits } from './address-limits.js';
import { type AuthOptions, checkToken } from './auth.js';
import type { MemberUpdates } from './member-updates.js';
import { deriveMeshKey } from './mesh-key.js';
import type { MetricsRecorder } from './metrics.js';
import type { SignalingLogger } from './options.js';
import { MALFORMED, type PacketProblem } from './parser.js';
import type { TokenBucket } from './rate-limit.js';
import { type ClaimResult, type PeerEntry, type PeerRegistry, peerInfo } from './registry.js';
import { routeSignal } from './relay.js';
import { SessionExpiry } from './session-expiry.js';

export interface SocketData {
  entry: PeerEntry;
  claim: Extract<ClaimResult, { ok: true }>;
  /** The peer as the others knew it before this resume, to tell whether to announce a change. */
  before?: string;
  bucket: TokenBucket;
  /** The client address its per-address limits are counted under. */
  address: string;
}

export type PeerSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** What every connection shares (built once by createSignalingServer). */
export interface ConnectionContext {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  readonly registry: PeerRegistry;
  readonly recorder: MetricsRecorder;
  readonly updates: MemberUpdates<PeerEntry>;
  readonly addresses: AddressLimits;
  readonly authOptions: AuthOptions;
  readonly log: SignalingLogger;
  readonly secret: string;
  readonly graceMs: number;
  readonly renewBeforeMs: number;
  readonly closing: () => boolean;
}

const room = (mesh: string) => `mesh:${mesh}`;

function reply(socket: PeerSocket, ack: unknown, result: Ack): void {
  if (typeof ack === 'function') (ack as (result: Ack) => void)(result);
  else if (!result.ok) socket.emit('error', result.error);
}

export function serveConnection(ctx: ConnectionContext, socket: PeerSocket): void {
  const { entry, claim, before, address } = socket.data;
  const { io, registry, recorder, log } = ctx;
  socket.join(room(entry.mesh));
  recorder.connections++;
  if (claim.kind === 'resumed') {
    recorder.resumes++;
    // The server had not seen the old socket drop yet; the resume key proved this one is the same peer.
    if (claim.replacedSocketId) io.sockets.sockets.get(claim.replacedSocketId)?.disconnect(true);
  }
  welcome(ctx, socket, entry);
  const info = peerInfo(entry);
  if (claim.kind === 'joined') socket.to(room(entry.mesh)).emit('peer:joined', info);
  else if (before !== JSON.stringify(info)) ctx.updates.mark(entry);
  log.info(claim.kind === 'joined' ? 'peer joined' : 'peer resumed', {
    mesh: entry.mesh,
    peerId: entry.peerId,
  });

  const expiry = new SessionExpiry(ctx.renewBeforeMs, {
    warn: (exp) => socket.emit('token:expiring', { exp }),
    expire: (exp) => {
      recorder.sessionsExpired++;
      const message = `the session's token expired at ${new Date(exp * 1000).toISOString()} and was not renewed`;
      log.info('session expired', { mesh: entry.mesh, peerId: entry.peerId });
      // The reason goes first; a namespace disconnect follows it on the same connection, in order.
      socket.emit('session:closing', { reason: 'token-expired', message });
      depart(ctx, entry, 'expired');
      socket.disconnect();
    },
  });
  expiry.schedule(entry.tokenExp);

  const reject = (ack: unknown, error: EventError) => {
    recorder.rejected(error.code);
    reply(socket, ack, { ok: false, error });
  };

  // Runs before any handler: floods, oversized or undecodable packets and unknown events never reach one.
  socket.use(([event, ...args], next) => {
    const ack = args[args.length - 1];
    const raw: unknown = event;
    const name = typeof raw === 'string' ? raw : raw === MALFORMED ? 'unknown' : String(raw);
    if (!socket.data.bucket.take()) {
      return reject(ack, { code: 'rate-limited', event: name, message: 'too many events; slow down' });
    }
    if (raw === MALFORMED) {
      const problem = args[0] as PacketProblem;
      return reject(ack, { code: problem.code, event: name, message: problem.message });
    }
    if (!(CLIENT_EVENTS as readonly unknown[]).includes(event)) {
      return reject(ack, { code: 'unknown-event', event: name, message: `unknown event '${name}'` });
    }
    next();
  });

  socket.on('peer:update', (raw: unknown, ack: unknown) => {
    const checked = validatePeerUpdate(raw);
    if (!checked.ok) return reject(ack, invalid('peer:update', checked.error));
    const merged = mergeUpdate(entry, checked.value);
    entry.capabilities = merged.capabilities;
    entry.state = merged.state;
    recorder.peerUpdates++;
    ctx.updates.mark(entry);
    reply(socket, ack, { ok: true });
  });

  socket.on('signal', (raw: unknown, ack: unknown) => {
    const checked = validateSignalTo(raw);
    if (!checked.ok) return reject(ack, invalid('signal', checked.error));
    const route = routeSignal(registry, entry, checked.value);
    if (!route.ok) return reject(ack, route.error);
    io.to(route.socketId).emit('signal', { from: entry.peerId, data: checked.value.data });
    recorder.signalsRelayed++;
    reply(socket, ack, { ok: true });
  });

  socket.on('token:renew', (raw: unknown, ack: unknown) => {
    const checked = validateTokenRenew(raw);
    if (!checked.ok) return reject(ack, invalid('token:renew', checked.error));
    renew(ctx, entry, checked.value.token).then(
      (error) => {
        if (socket.disconnected) return;
        if (error) return reject(ack, error);
        expiry.schedule(entry.tokenExp);
        reply(socket, ack, { ok: true });
      },
      (e: unknown) => {
        log.warn('token renewal failed', { peerId: entry.peerId, error: String(e) });
        reject(ack, {
          code: 'token-rejected',
          event: 'token:renew',
          message: 'the token could not be checked',
        });
      },
    );
  });

  socket.on('disconnect', (reason) => {
    expiry.clear();
    ctx.addresses.release(address);
    // A resumed peer's old socket, or the whole server going down: nothing to announce.
    if (ctx.closing() || entry.socketId !== socket.id) return;
    if (reason === 'client namespace disconnect') return depart(ctx, entry, 'left');
    if (reason === 'server namespace disconnect') return depart(ctx, entry, 'expelled');
    entry.socketId = null;
    if (ctx.graceMs <= 0) return depart(ctx, entry, 'lost');
    log.info('peer dropped; waiting for it to reconnect', { mesh: entry.mesh, peerId: entry.peerId, reason });
    entry.graceTimer = setTimeout(() => depart(ctx, entry, 'lost'), ctx.graceMs);
  });
}

/** `mesh:peers`: the snapshot, the resume key, and the mesh key for members holding `coordinate` only. */
function welcome(ctx: ConnectionContext, socket: PeerSocket, entry: PeerEntry): void {
  socket.emit('mesh:peers', {
    version: SIGNALING_PROTOCOL_VERSION,
    mesh: entry.mesh,
    self: peerInfo(entry),
    peers: ctx.registry.members(entry.mesh, entry.peerId).map(peerInfo),
    resumeKey: entry.resumeKey,
    reconnectGraceMs: ctx.graceMs,
    tokenExp: entry.tokenExp,
    ...(entry.roles.includes('coordinate') && { meshKey: deriveMeshKey(ctx.secret, entry.mesh) }),
  });
}

function depart(ctx: ConnectionContext, entry: PeerEntry, reason: LeaveReason): void {
  if (!ctx.registry.remove(entry, Date.now())) return;
  ctx.updates.drop(entry);
  ctx.recorder.departed(reason);
  ctx.log.info('peer left', { mesh: entry.mesh, peerId: entry.peerId, reason });
  ctx.io.to(room(entry.mesh)).emit('peer:left', { peerId: entry.peerId, reason });
}

function invalid(event: string, error: { message: string; field?: string }): EventError {
  return {
    code: 'invalid-payload',
    event,
    message: error.message,
    ...(error.field && { field: error.field }),
  };
}

/**
 * `token:renew`: a new token for the same session. It must verify, be for the same mesh and subject, grant every
 * role the session holds, and expire later than the current one. `trusted` may change (announced to the mesh).
 */
async function renew(
  ctx: ConnectionContext,
  entry: PeerEntry,
  token: string,
): Promise<EventError | undefined> {
  const fail = (message: string, field = 'token'): EventError => ({
    code: 'token-rejected',
    event: 'token:renew',
    message,
    field,
    peerId: entry.peerId,
  });
  const verified = await checkToken(token, ctx.authOptions);
  if (!verified.ok)
    return fail(`${verified.refusal.reason}: ${verified.refusal.message}`, verified.refusal.field);
  const t = verified.token;
  if (t.mesh !== entry.mesh)
    return fail(`the token is for mesh '${t.mesh}', not '${entry.mesh}'`, 'token.payload.mesh');
  if ((t.sub ?? null) !== entry.subject) {
    return fail(
      `the token's subject differs from the session's ('${entry.subject ?? 'none'}')`,
      'token.payload.sub',
    );
  }
  const missing = entry.roles.filter((r) => !t.roles.includes(r));
  if (missing.length > 0)
    return fail(`the token does not grant ${missing.join(', ')}`, 'token.payload.roles');
  if (t.exp <= entry.tokenExp)
    return fail('the token expires no later than the current one', 'token.payload.exp');
  entry.tokenExp = t.exp;
  if ((t.trusted === true) !== entry.trusted) {
    entry.trusted = t.trusted === true;
    ctx.updates.mark(entry);
  }
  ctx.recorder.tokenRenewals++;
  return undefined;
}
