/**
 * The registry shared by several signaling processes through Redis (`handout signal --redis redis://...`): the
 * same contract as the in-memory one (registry-types.ts), each operation one Lua script (redis-scripts.ts), so
 * ids in use and their bound subjects, resume keys (as hashes), meshes' members and roles, and reserved ids are
 * the same on every process, all with expiry. Nothing here assumes one process: a peer may join on one process,
 * drop, and resume on another with its resume key; the process that expires a record announces it.
 */
import type { PeerCapabilities, PeerState, Role } from '@handout/peer-runtime/signaling';
import { Redis } from 'ioredis';
import type { IdReservationOptions } from './id-reservations.js';
import { CLAIM, EXPIRE, REFRESH, REMOVE, SUSPEND, UPDATE } from './redis-scripts.js';
import {
  type Claim,
  type ClaimResult,
  idReserved,
  idTaken,
  type PeerRecord,
  type PeerRegistry,
  type RecordPatch,
  type RegistryGauges,
  type Subject,
} from './registry-types.js';

export interface RedisRegistryOptions extends IdReservationOptions {
  /** Prefix of every key, so several deployments can share one Redis. Default `handout:signaling:`. */
  readonly prefix?: string;
  /** How long a connected record lives without a refresh from its process (a dead process's peers then expire). */
  readonly liveTtlMs: number;
  /** Records removed per `expire` call at most (the rest go next time). Default 500. */
  readonly expireBatch?: number;
}

/** The JSON kept in `peers:<mesh>`: the record without its socket and keys. */
interface StoredInfo {
  readonly roles: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly state: PeerState;
  readonly trusted: boolean;
  readonly tokenExp: number;
}

type ScriptName =
  | 'handoutClaim'
  | 'handoutUpdate'
  | 'handoutSuspend'
  | 'handoutRemove'
  | 'handoutExpire'
  | 'handoutRefresh';
type ScriptClient = Redis & Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

const SCRIPTS: Record<ScriptName, string> = {
  handoutClaim: CLAIM,
  handoutUpdate: UPDATE,
  handoutSuspend: SUSPEND,
  handoutRemove: REMOVE,
  handoutExpire: EXPIRE,
  handoutRefresh: REFRESH,
};

/**
 * Opens a connection, failing (with the URL, its password hidden) when Redis cannot be reached. Later outages
 * are retried by ioredis; `onError` hears each failure (ioredis would otherwise print them as unhandled).
 */
export async function connectRedis(url: string, onError: (error: Error) => void): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Commands fail (and admissions are refused with a reason) instead of queueing for ever while Redis is down.
    maxRetriesPerRequest: 2,
  });
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactedUrl(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return redis;
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

/** The registry over an open connection (from `connectRedis`). */
export function createRedisRegistry(redis: Redis, options: RedisRegistryOptions): RedisRegistry {
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  return new RedisRegistry(redis as ScriptClient, options);
}

export class RedisRegistry implements PeerRegistry {
  private readonly prefix: string;
  private readonly keyTtlMs: number;
  private last: RegistryGauges = { peers: 0, connectedPeers: 0, meshes: 0, reservedIds: 0 };

  constructor(
    private readonly redis: ScriptClient,
    private readonly options: RedisRegistryOptions,
  ) {
    this.prefix = options.prefix ?? 'handout:signaling:';
    // Per-mesh keys outlive every deadline they hold; refreshes and writes push this back.
    this.keyTtlMs = Math.max(options.reserveMs, options.liveTtlMs) + 60_000;
  }

  /** Connections this process holds; set by the server (connected peers are counted per process). */
  localConnections: () => number = () => 0;

  async claim(claim: Claim): Promise<ClaimResult> {
    const reply = (await this.redis.handoutClaim(
      this.prefix,
      claim.mesh,
      claim.peerId,
      claim.resumeKeyHash ?? '',
      subjectKey(claim.subject),
      claim.socketId,
      JSON.stringify(storedInfo(claim)),
      claim.newResumeKeyHash,
      this.options.liveTtlMs,
      this.keyTtlMs,
    )) as string[];
    const [kind] = reply;
    if (kind === 'taken') return { ok: false, refusal: idTaken(claim.mesh, claim.peerId) };
    if (kind === 'reserved') {
      const held = reply[1] === '' ? null : (reply[1] ?? '').slice(2);
      return { ok: false, refusal: idReserved(claim.mesh, claim.peerId, held, Number(reply[2])) };
    }
    const joinedAt = Number(reply[1]);
    const hash = kind === 'joined' ? claim.newResumeKeyHash : (claim.resumeKeyHash as string);
    const record = recordOf(claim.mesh, claim.peerId, storedInfo(claim), {
      socketId: claim.socketId,
      joinedAt,
      hash,
      subject: claim.subject,
    });
    if (kind === 'joined') return { ok: true, kind: 'joined', record };
    const oldSocket = reply[2] ?? '';
    const before = recordOf(claim.mesh, claim.peerId, parseInfo(reply[3] ?? ''), {
      socketId: oldSocket === '' ? null : oldSocket,
      joinedAt,
      hash,
      subject: claim.subject,
    });
    return { ok: true, kind: 'resumed', record, replacedSocketId: before.socketId, before };
  }

  async get(mesh: string, peerId: string): Promise<PeerRecord | undefined> {
    const [[, info], [, control]] = (await this.redis
      .multi()
      .hget(this.key('peers', mesh), peerId)
      .hget(this.key('control', mesh), peerId)
      .exec()) as [[unknown, string | null], [unknown, string | null]];
    if (info === null || control === null) return undefined;
    return recordOf(mesh, peerId, parseInfo(info), parseControl(control));
  }

  async members(mesh: string, except?: string): Promise<PeerRecord[]> {
    const [[, infos], [, controls]] = (await this.redis
      .multi()
      .hgetall(this.key('peers', mesh))
      .hgetall(this.key('control', mesh))
      .exec()) as [[unknown, Record<string, string>], [unknown, Record<string, string>]];
    const out: PeerRecord[] = [];
    for (const [peerId, info] of Object.entries(infos)) {
      const control = controls[peerId];
      if (peerId === except || control === undefined) continue;
      out.push(recordOf(mesh, peerId, parseInfo(info), parseControl(control)));
    }
    return out;
  }

  async meshNames(): Promise<string[]> {
    return this.redis.smembers(`${this.prefix}meshes`);
  }

  async update(mesh: string, peerId: string, socketId: string, patch: RecordPatch) {
    const current = await this.get(mesh, peerId);
    if (current?.socketId !== socketId) return undefined;
    const next: PeerRecord = { ...current, ...patch };
    const ok = await this.redis.handoutUpdate(
      this.prefix,
      mesh,
      peerId,
      socketId,
      JSON.stringify(storedInfo(next)),
    );
    return ok === 1 ? next : undefined;
  }

  async suspend(mesh: string, peerId: string, socketId: string, graceMs: number): Promise<boolean> {
    return (await this.redis.handoutSuspend(this.prefix, mesh, peerId, socketId, graceMs)) === 1;
  }

  async remove(mesh: string, peerId: string, socketId: string): Promise<PeerRecord | undefined> {
    const removed = (await this.redis.handoutRemove(
      this.prefix,
      mesh,
      peerId,
      socketId,
      this.options.reserveMs,
      this.options.maxPerMesh,
      this.keyTtlMs,
    )) as string[] | null;
    return removed ? removedRecord(removed) : undefined;
  }

  async expire(): Promise<PeerRecord[]> {
    const reply = (await this.redis.handoutExpire(
      this.prefix,
      this.options.expireBatch ?? 500,
      this.options.reserveMs,
      this.options.maxPerMesh,
      this.keyTtlMs,
    )) as [number, number, number, ...string[][]];
    const [peers, meshes, reservedIds, ...removed] = reply;
    this.last = { peers, connectedPeers: 0, meshes, reservedIds };
    return removed.map(removedRecord);
  }

  async refresh(held: readonly { mesh: string; peerId: string; socketId: string }[], ttlMs: number) {
    // In slices, so one script never holds Redis for long (a thousand peers are a few hundred µs each slice).
    for (let i = 0; i < held.length; i += 500) {
      const args = held.slice(i, i + 500).flatMap((h) => [h.mesh, h.peerId, h.socketId]);
      await this.redis.handoutRefresh(this.prefix, ttlMs, this.keyTtlMs, ...args);
    }
  }

  /** Peers, meshes and reserved ids of every process as of the last sweep; connected peers of this process. */
  gauges(): RegistryGauges {
    return { ...this.last, connectedPeers: this.localConnections() };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {
      // Already disconnected (Redis gone): nothing left to close.
      this.redis.disconnect();
    });
  }

  private key(kind: 'peers' | 'control', mesh: string): string {
    return `${this.prefix}${kind}:${mesh}`;
  }
}

function subjectKey(subject: Subject): string {
  return subject === null ? '' : `s:${subject}`;
}

function storedInfo(r: Pick<PeerRecord, keyof StoredInfo>): StoredInfo {
  return {
    roles: r.roles,
    capabilities: r.capabilities,
    state: r.state,
    trusted: r.trusted,
    tokenExp: r.tokenExp,
  };
}

/**
 * Records come from our own processes (they were validated on admission), but Redis is another process: a
 * record that does not parse is a corrupted store, and reading it must fail loudly rather than invent a peer.
 */
function parseInfo(json: string): StoredInfo {
  const v = JSON.parse(json) as StoredInfo;
  if (!Array.isArray(v.roles) || typeof v.capabilities !== 'object' || typeof v.state !== 'object') {
    throw new Error(`the shared registry holds a malformed record: ${json.slice(0, 200)}`);
  }
  return v;
}

interface Control {
  readonly socketId: string | null;
  readonly joinedAt: number;
  readonly hash: string;
  readonly subject: Subject;
}

function parseControl(value: string): Control {
  const [socketId = '', joinedAt = '0', hash = '', ...subject] = value.split('|');
  const key = subject.join('|');
  return {
    socketId: socketId === '' ? null : socketId,
    joinedAt: Number(joinedAt),
    hash,
    subject: key === '' ? null : key.slice(2),
  };
}

function recordOf(mesh: string, peerId: string, info: StoredInfo, control: Control): PeerRecord {
  return {
    mesh,
    peerId,
    ...info,
    joinedAt: control.joinedAt,
    subject: control.subject,
    socketId: control.socketId,
    resumeKeyHash: control.hash,
  };
}

/** A record as `drop` returns it: mesh, peerId, info, socket, joinedAt, hash, subjectKey. */
function removedRecord(r: string[]): PeerRecord {
  const [mesh = '', peerId = '', info = '', socket = '', joined = '0', hash = '', subject = ''] = r;
  return recordOf(mesh, peerId, parseInfo(info), parseControl(`${socket}|${joined}|${hash}|${subject}`));
}
