/**
 * The registry of one signaling process (the default): who is in which mesh, in memory. A peer id is claimed by
 * one socket at a time; after that socket drops, the id waits `reconnectGraceMs` and only a reconnect presenting
 * the session's resume key (and a token of the same subject) may take it back: a peer id alone proves nothing, or
 * any holder of a mesh token could hijack a blipping peer. After the peer has left, `IdReservations` keeps the id
 * for its token subject a while longer. Several processes share a `RedisRegistry` instead (redis-registry.ts);
 * both keep the contract of registry-types.ts.
 */
import { randomBytes } from 'node:crypto';
import { base64urlEncode } from '@handout/peer-runtime/signaling';
import { type IdReservationOptions, IdReservations } from './id-reservations.js';
import {
  type Claim,
  type ClaimResult,
  idTaken,
  type PeerRecord,
  type PeerRegistry,
  type RecordPatch,
  type RegistryGauges,
} from './registry-types.js';
import { sameSecretHash } from './resume-key.js';

export function randomId(bytes: number): string {
  return base64urlEncode(randomBytes(bytes));
}

interface Held {
  record: PeerRecord;
  /** Epoch ms past which the record expires; Infinity while its socket is connected. */
  deadline: number;
}

export class MemoryRegistry implements PeerRegistry {
  // Map<mesh, Map<id, …>>: structured keys, never a joined string, so no two (mesh, id) pairs share a key.
  private readonly meshes = new Map<string, Map<string, Held>>();
  private readonly reservations: IdReservations;

  constructor(
    reservations: IdReservationOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.reservations = new IdReservations(reservations);
  }

  async claim(claim: Claim): Promise<ClaimResult> {
    const now = this.now();
    const held = this.meshes.get(claim.mesh)?.get(claim.peerId);
    if (!held) {
      const reserved = this.reservations.check(claim.mesh, claim.peerId, claim.subject, now);
      if (reserved) return { ok: false, refusal: reserved };
      this.reservations.release(claim.mesh, claim.peerId);
      const record: PeerRecord = {
        mesh: claim.mesh,
        peerId: claim.peerId,
        roles: claim.roles,
        subject: claim.subject,
        trusted: claim.trusted,
        tokenExp: claim.tokenExp,
        capabilities: claim.capabilities,
        state: claim.state,
        joinedAt: now,
        socketId: claim.socketId,
        resumeKeyHash: claim.newResumeKeyHash,
      };
      let members = this.meshes.get(claim.mesh);
      if (!members) {
        members = new Map();
        this.meshes.set(claim.mesh, members);
      }
      members.set(claim.peerId, { record, deadline: Number.POSITIVE_INFINITY });
      return { ok: true, kind: 'joined', record };
    }
    const before = held.record;
    const proven =
      claim.resumeKeyHash !== undefined &&
      claim.subject === before.subject &&
      sameSecretHash(claim.resumeKeyHash, before.resumeKeyHash);
    if (!proven) return { ok: false, refusal: idTaken(claim.mesh, claim.peerId) };
    held.record = {
      ...before,
      socketId: claim.socketId,
      roles: claim.roles,
      trusted: claim.trusted,
      tokenExp: claim.tokenExp,
      capabilities: claim.capabilities,
      state: claim.state,
    };
    held.deadline = Number.POSITIVE_INFINITY;
    return { ok: true, kind: 'resumed', record: held.record, replacedSocketId: before.socketId, before };
  }

  async get(mesh: string, peerId: string): Promise<PeerRecord | undefined> {
    return this.meshes.get(mesh)?.get(peerId)?.record;
  }

  async members(mesh: string, except?: string): Promise<PeerRecord[]> {
    const out: PeerRecord[] = [];
    for (const h of this.meshes.get(mesh)?.values() ?? []) if (h.record.peerId !== except) out.push(h.record);
    return out;
  }

  async meshNames(): Promise<string[]> {
    return [...this.meshes.keys()];
  }

  async update(mesh: string, peerId: string, socketId: string, patch: RecordPatch) {
    const held = this.heldBy(mesh, peerId, socketId);
    if (!held) return undefined;
    held.record = { ...held.record, ...patch };
    return held.record;
  }

  async suspend(mesh: string, peerId: string, socketId: string, graceMs: number): Promise<boolean> {
    const held = this.heldBy(mesh, peerId, socketId);
    if (!held) return false;
    held.record = { ...held.record, socketId: null };
    held.deadline = this.now() + graceMs;
    return true;
  }

  async remove(mesh: string, peerId: string, socketId: string): Promise<PeerRecord | undefined> {
    const held = this.heldBy(mesh, peerId, socketId);
    if (!held) return undefined;
    this.delete(held.record);
    return held.record;
  }

  async expire(): Promise<PeerRecord[]> {
    const now = this.now();
    const gone: PeerRecord[] = [];
    for (const members of [...this.meshes.values()]) {
      for (const h of [...members.values()]) {
        if (h.deadline > now) continue;
        this.delete(h.record);
        gone.push(h.record);
      }
    }
    return gone;
  }

  /** One process: connected records never expire, so there is nothing to refresh. */
  async refresh(): Promise<void> {}

  gauges(): RegistryGauges {
    let peers = 0;
    let connectedPeers = 0;
    for (const members of this.meshes.values()) {
      for (const h of members.values()) {
        peers++;
        if (h.record.socketId !== null) connectedPeers++;
      }
    }
    return { peers, connectedPeers, meshes: this.meshes.size, reservedIds: this.reservations.size() };
  }

  async close(): Promise<void> {
    this.meshes.clear();
    this.reservations.clear();
  }

  private heldBy(mesh: string, peerId: string, socketId: string): Held | undefined {
    const held = this.meshes.get(mesh)?.get(peerId);
    return held?.record.socketId === socketId ? held : undefined;
  }

  private delete(record: PeerRecord): void {
    const members = this.meshes.get(record.mesh);
    if (!members) return;
    members.delete(record.peerId);
    if (members.size === 0) this.meshes.delete(record.mesh);
    this.reservations.reserve(record.mesh, record.peerId, record.subject, this.now());
  }
}
