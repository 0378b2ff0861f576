/**
 * One admitted socket: its welcome (`mesh:peers`, with the mesh key for coordinators), its events (rate-limited,
 * size- and shape-checked, validated, answered), its token's expiry and renewal, and its departure. Every check
 * on what a connected peer sends is in `screen` and the handlers below it, in one place.
 *
 * The registry may be shared with other processes (Redis): every change goes through it, conditioned on this
 * socket still holding the record, so a peer that resumed on another process is never overwritten from here.
 * Events of one socket are handled one after the other (`serial`), so a peer's offer and its ICE candidates are
 * relayed in the order it sent them even though each waits on the registry.
 */
import {
  type Ack,
  CLIENT_EVENTS,
  type ClientToServerEvents,
  type EventError,
  type IceServerConfig,
  type LeaveReason,
  mergeUpdate,
  type ServerToClientEvents,
  SIGNALING_PROTOCOL_VERSION,
  validatePeerUpdate,
  validateSignalTo,
  validateTokenRenew,
} from '@handout/peer-runtime/signaling';
import type { Logger } from '@handout/peer-runtime/telemetry';
import type { Server, Socket } from 'socket.io';
import type { AddressLimits } from './address-limits.js';
import type { AuthOptions } from './auth.js';
import { scheduleIceRenewal } from './ice-renewal.js';
import type { MemberUpdates } from './member-updates.js';
import { deriveFetchKey, deriveMeshKey } from './mesh-key.js';
import type { MetricsRecorder } from './metrics.js';
import { MALFORMED, type PacketProblem } from './parser.js';
import type { TokenBucket } from './rate-limit.js';
import { type ClaimResult, type PeerRecord, type PeerRegistry, peerInfo } from './registry-types.js';
import { routeSignal } from './relay.js';
import { renewSession } from './renew.js';
import type { RuntimeMetrics } from './runtime-metrics.js';
import { SessionExpiry } from './session-expiry.js';
import type { LocalSessions, Session } from './sessions.js';

export interface SocketData {
  claim: Extract<ClaimResult, { ok: true }>;
  /** The resume key sent in the welcome: a new one for a join, the one presented for a resume. */
  resumeKey: string;
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
  readonly sessions: LocalSessions;
  readonly recorder: MetricsRecorder;
  readonly runtime: RuntimeMetrics;
  readonly updates: MemberUpdates<Session>;
  readonly addresses: AddressLimits;
  readonly authOptions: AuthOptions;
  readonly log: Logger;
  readonly secret: string;
  readonly graceMs: number;
  readonly renewBeforeMs: number;
  /** The STUN/TURN servers of one peer's welcome, TURN credentials made for it (turn-credentials.ts). */
  readonly iceServers: (peerId: string) => IceServerConfig[];
  /** With TURN: how often a connected peer gets fresh credentials (`ice:servers`, ice-renewal.ts). */
  readonly iceRenewalMs?: number;
  readonly closing: () => boolean;
}

export const room = (mesh: string) => `mesh:${mesh}`;

function reply(socket: PeerSocket, ack: unknown, result: Ack): void {
  if (typeof ack === 'function') (ack as (result: Ack) => void)(result);
  else if (!result.ok) socket.emit('error', result.error);
}

export function serveConnection(ctx: ConnectionContext, socket: PeerSocket): void {
  const { claim, resumeKey, address } = socket.data;
  const { io, registry, recorder, log } = ctx;
  const session = ctx.sessions.add({ ...claim.record, socketId: socket.id });
  const { mesh, peerId } = session;
  socket.join(room(mesh));
  recorder.connections++;
  if (claim.kind === 'resumed') {
    recorder.resumes++;
    // The old socket, on this process or another, may not have dropped yet; the resume key proved this one is
    // the same peer. Through the adapter this reaches whichever process holds it.
    if (claim.replacedSocketId) io.in(claim.replacedSocketId).disconnectSockets(true);
  }
  void welcome(ctx, socket, session, resumeKey);
  const info = peerInfo(session.record);
  if (claim.kind === 'joined') ctx.updates.markJoined(session);
  else if (JSON.stringify(peerInfo(claim.before)) !== JSON.stringify(info)) ctx.updates.mark(session);
  log.info(claim.kind === 'joined' ? 'peer joined' : 'peer resumed', {
    mesh,
    peer: peerId,
    roles: session.record.roles,
    address,
  });

  // One event at a time per socket, in arrival order (see the header).
  let serial: Promise<void> = Promise.resolve();
  const inOrder = (work: () => Promise<void>) => {
    serial = serial.then(work).catch((e: unknown) => {
      log.warn('event handling failed', { mesh, peer: peerId, error: String(e) });
    });
  };

  const expiry = new SessionExpiry(ctx.renewBeforeMs, {
    warn: (exp) => socket.emit('token:expiring', { exp }),
    expire: (exp) => {
      recorder.sessionsExpired++;
      const message = `the session's token expired at ${new Date(exp * 1000).toISOString()} and was not renewed`;
      log.info('session expired', { mesh, peer: peerId });
      // The reason goes first; a namespace disconnect follows it on the same connection, in order.
      socket.emit('session:closing', { reason: 'token-expired', message });
      inOrder(async () => {
        await depart(ctx, session, 'expired');
        socket.disconnect();
      });
    },
  });
  expiry.schedule(session.record.tokenExp);
  const stopIceRenewal =
    ctx.iceRenewalMs === undefined
      ? undefined
      : scheduleIceRenewal(ctx.iceRenewalMs, () =>
          socket.emit('ice:servers', { iceServers: ctx.iceServers(peerId) }),
        );

  const reject = rejecter(ctx, socket, { mesh, peerId, address });
  /** The record moved to another socket (a resume elsewhere) while this one still sent events. */
  const stale = (ack: unknown, event: string) =>
    reject(ack, {
      code: 'peer-unavailable',
      event,
      message: 'this session was resumed on another connection',
      peerId,
    });

  // Runs before any handler: floods, oversized or undecodable packets and unknown events never reach one.
  socket.use(eventGate(socket, reject));

  socket.on('peer:update', (raw: unknown, ack: unknown) => {
    const checked = validatePeerUpdate(raw);
    if (!checked.ok) return reject(ack, invalid('peer:update', checked.error));
    inOrder(async () => {
      const merged = mergeUpdate(session.record, checked.value);
      const next = await registry.update(mesh, peerId, socket.id, merged);
      if (!next) return stale(ack, 'peer:update');
      session.record = next;
      recorder.peerUpdates++;
      ctx.updates.mark(session);
      reply(socket, ack, { ok: true });
    });
  });

  socket.on('signal', (raw: unknown, ack: unknown) => {
    const checked = validateSignalTo(raw);
    if (!checked.ok) return reject(ack, invalid('signal', checked.error));
    inOrder(async () => {
      const route = routeSignal(session.record, checked.value, await registry.get(mesh, checked.value.to));
      if (!route.ok) return reject(ack, route.error);
      // A join not yet broadcast goes out first, so the target knows the sender before its signal arrives.
      ctx.updates.flushJoin(session);
      io.to(route.socketId).emit('signal', { from: peerId, data: checked.value.data });
      recorder.signalsRelayed++;
      reply(socket, ack, { ok: true });
    });
  });

  socket.on('token:renew', (raw: unknown, ack: unknown) => {
    const checked = validateTokenRenew(raw);
    if (!checked.ok) return reject(ack, invalid('token:renew', checked.error));
    inOrder(async () => {
      const renewed = await renewSession(ctx.authOptions, session.record, checked.value.token);
      if (socket.disconnected) return;
      if (!renewed.ok) return reject(ack, renewed.error);
      const next = await registry.update(mesh, peerId, socket.id, renewed.patch);
      if (!next) return stale(ack, 'token:renew');
      const trustChanged = next.trusted !== session.record.trusted;
      session.record = next;
      if (trustChanged) ctx.updates.mark(session);
      recorder.tokenRenewals++;
      expiry.schedule(next.tokenExp);
      reply(socket, ack, { ok: true });
    });
  });

  socket.on('disconnect', (reason) => {
    expiry.clear();
    stopIceRenewal?.();
    ctx.addresses.release(address);
    ctx.sessions.delete(session);
    // The whole server going down: its records stay for a resume (here after a restart, or on another process).
    if (!ctx.closing()) inOrder(() => afterDisconnect(ctx, session, reason));
  });
}

type Reject = (ack: unknown, error: EventError) => void;

/** Answers a refused event (its ack, or an `error` event), counted and logged with who sent it. */
function rejecter(
  ctx: ConnectionContext,
  socket: PeerSocket,
  who: { mesh: string; peerId: string; address: string },
): Reject {
  return (ack, error) => {
    ctx.recorder.rejected(error.code);
    // A signal to a peer that just left (or is not there yet) is a race every mesh has, not a misbehaving client.
    const level = error.code === 'peer-unavailable' || error.code === 'unknown-peer' ? 'debug' : 'warn';
    ctx.log[level]('event rejected', {
      mesh: who.mesh,
      peer: who.peerId,
      address: who.address,
      event: error.event,
      reason: error.code,
      detail: error.message,
    });
    reply(socket, ack, { ok: false, error });
  };
}

/** The socket's event middleware: the rate limit, then malformed packets, then unknown event names. */
function eventGate(
  socket: PeerSocket,
  reject: Reject,
): (packet: unknown[], next: (err?: Error) => void) => void {
  return ([event, ...args], next) => {
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
  };
}

/** What a dropped socket means for its record: gone now (left, expelled, no grace) or kept for a resume. */
async function afterDisconnect(ctx: ConnectionContext, session: Session, reason: string): Promise<void> {
  if (reason === 'client namespace disconnect') return depart(ctx, session, 'left');
  // Also a resumed peer's old socket, disconnected by the resume: the registry no longer names this socket,
  // so nothing is removed.
  if (reason === 'server namespace disconnect') return depart(ctx, session, 'expelled');
  if (ctx.graceMs <= 0) return depart(ctx, session, 'lost');
  const { mesh, peerId, socketId } = session;
  if (await ctx.registry.suspend(mesh, peerId, socketId, ctx.graceMs)) {
    ctx.log.info('peer dropped; waiting for it to reconnect', { mesh, peer: peerId, reason });
  }
}

/** `mesh:peers`: the snapshot, the resume key, and the mesh key for members holding `coordinate` only. */
async function welcome(ctx: ConnectionContext, socket: PeerSocket, session: Session, resumeKey: string) {
  const { record } = session;
  let others: PeerRecord[];
  try {
    others = await ctx.registry.members(record.mesh, record.peerId);
  } catch (e) {
    ctx.log.error('welcome failed: the registry did not answer', {
      mesh: record.mesh,
      peer: record.peerId,
      error: String(e),
    });
    socket.disconnect(true);
    return;
  }
  const iceServers = ctx.iceServers(record.peerId);
  socket.emit('mesh:peers', {
    version: SIGNALING_PROTOCOL_VERSION,
    mesh: record.mesh,
    self: peerInfo(session.record),
    peers: others.map(peerInfo),
    resumeKey,
    reconnectGraceMs: ctx.graceMs,
    tokenExp: session.record.tokenExp,
    ...(record.roles.includes('coordinate') && { meshKey: deriveMeshKey(ctx.secret, record.mesh) }),
    ...(iceServers.length > 0 && { iceServers }),
    fetchKey: deriveFetchKey(ctx.secret, record.mesh, record.peerId),
  });
}

/** Removes the session's record if this socket still holds it, and tells the mesh. */
async function depart(ctx: ConnectionContext, session: Session, reason: LeaveReason): Promise<void> {
  const removed = await ctx.registry.remove(session.mesh, session.peerId, session.socketId);
  if (removed) announceDeparture(ctx, removed, reason);
}

/** `peer:left` to the mesh (on every process, through the adapter) for a record removed here. */
export function announceDeparture(ctx: ConnectionContext, record: PeerRecord, reason: LeaveReason): void {
  ctx.updates.dropPeer(record.mesh, record.peerId);
  ctx.recorder.departed(reason);
  ctx.runtime.session.observe({ reason }, Math.max(0, Date.now() - record.joinedAt) / 1000);
  ctx.log.info('peer left', { mesh: record.mesh, peer: record.peerId, reason });
  ctx.io.to(room(record.mesh)).emit('peer:left', { peerId: record.peerId, reason });
}

function invalid(event: string, error: { message: string; field?: string }): EventError {
  return {
    code: 'invalid-payload',
    event,
    message: error.message,
    ...(error.field && { field: error.field }),
  };
}
