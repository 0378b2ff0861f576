/**
 * Who is in which mesh. A peer id is claimed by one socket at a time; after that socket drops, the id stays
 * reserved for `reconnectGraceMs` and only a reconnect presenting the session's resume key (and a token of the
 * same subject) may take it back: a peer id alone proves nothing, or any holder of a mesh token could hijack a
 * blipping peer. After the peer has left, `IdReservations` keeps the id for its token subject a while longer.
 */
import { randomBytes } from 'node:crypto';
import {
  base64urlEncode,
  constantTimeEqual,
  type PeerCapabilities,
  type PeerInfo,
  type PeerState,
  type Refusal,
  type Role,
} from '@handout/peer-runtime/signaling';
import { type IdReservationOptions, IdReservations, type Subject } from './id-reservations.js';

export interface PeerEntry {
  readonly mesh: string;
  readonly peerId: string;
  roles: readonly Role[];
  capabilities: PeerCapabilities;
  state: PeerState;
  readonly joinedAt: number;
  /** The token's `sub` (null: unbound): who may take this id back (see IdReservations). */
  readonly subject: Subject;
  /** The token's `trusted` claim; a renewed token may change it. */
  trusted: boolean;
  /** Expiry of the session's token, epoch seconds (moved by `token:renew`). */
  tokenExp: number;
  /** The live socket, or null while within the reconnect grace window. */
  socketId: string | null;
  readonly resumeKey: string;
  graceTimer?: ReturnType<typeof setTimeout>;
}

export interface Claim {
  readonly mesh: string;
  readonly peerId: string | undefined;
  readonly resumeKey: string | undefined;
  readonly socketId: string;
  readonly roles: readonly Role[];
  readonly subject: Subject;
  readonly trusted: boolean;
  readonly tokenExp: number;
  readonly capabilities: PeerCapabilities;
  readonly state: PeerState;
}

export type ClaimResult =
  | { ok: true; kind: 'joined'; entry: PeerEntry }
  /** `replacedSocketId`: the old socket the server had not yet seen drop; the caller disconnects it. */
  | { ok: true; kind: 'resumed'; entry: PeerEntry; replacedSocketId: string | null }
  | { ok: false; refusal: Refusal };

export function randomId(bytes: number): string {
  return base64urlEncode(randomBytes(bytes));
}

const encoder = new TextEncoder();

export class PeerRegistry {
  // Map<mesh, Map<id, …>>: structured keys, never a joined string, so no two (mesh, id) pairs share a key.
  private readonly meshes = new Map<string, Map<string, PeerEntry>>();
  private readonly reservations: IdReservations;

  constructor(reservations: IdReservationOptions) {
    this.reservations = new IdReservations(reservations);
  }

  claim(claim: Claim, now: number): ClaimResult {
    const peerId = claim.peerId ?? randomId(12);
    const existing = this.meshes.get(claim.mesh)?.get(peerId);
    if (!existing) {
      const reserved = this.reservations.check(claim.mesh, peerId, claim.subject, now);
      if (reserved) return { ok: false, refusal: reserved };
      this.reservations.release(claim.mesh, peerId);
      const entry: PeerEntry = {
        mesh: claim.mesh,
        peerId,
        roles: claim.roles,
        subject: claim.subject,
        trusted: claim.trusted,
        tokenExp: claim.tokenExp,
        capabilities: claim.capabilities,
        state: claim.state,
        joinedAt: now,
        socketId: claim.socketId,
        resumeKey: randomId(24),
      };
      let members = this.meshes.get(claim.mesh);
      if (!members) {
        members = new Map();
        this.meshes.set(claim.mesh, members);
      }
      members.set(peerId, entry);
      return { ok: true, kind: 'joined', entry };
    }
    const proven =
      claim.resumeKey !== undefined &&
      claim.subject === existing.subject &&
      constantTimeEqual(encoder.encode(claim.resumeKey), encoder.encode(existing.resumeKey));
    if (!proven) {
      return {
        ok: false,
        refusal: {
          reason: 'peer-id-taken',
          message: `peer id '${peerId}' is in use in mesh '${claim.mesh}'`,
          field: 'auth.peerId',
        },
      };
    }
    clearTimeout(existing.graceTimer);
    existing.graceTimer = undefined;
    const replacedSocketId = existing.socketId;
    existing.socketId = claim.socketId;
    existing.roles = claim.roles;
    existing.trusted = claim.trusted;
    existing.tokenExp = claim.tokenExp;
    existing.capabilities = claim.capabilities;
    existing.state = claim.state;
    return { ok: true, kind: 'resumed', entry: existing, replacedSocketId };
  }

  get(mesh: string, peerId: string): PeerEntry | undefined {
    return this.meshes.get(mesh)?.get(peerId);
  }

  /** Removes a peer and reserves its id for its subject; true if it was there. */
  remove(entry: PeerEntry, now: number): boolean {
    const members = this.meshes.get(entry.mesh);
    if (members?.get(entry.peerId) !== entry) return false;
    clearTimeout(entry.graceTimer);
    members.delete(entry.peerId);
    if (members.size === 0) this.meshes.delete(entry.mesh);
    this.reservations.reserve(entry.mesh, entry.peerId, entry.subject, now);
    return true;
  }

  /** Ids reserved after their peers left (a gauge in /metrics). */
  reservedIds(): number {
    return this.reservations.size();
  }

  /** The members of a mesh (all of them, or all but one). */
  members(mesh: string, except?: string): PeerEntry[] {
    return [...(this.meshes.get(mesh)?.values() ?? [])].filter((e) => e.peerId !== except);
  }

  meshNames(): string[] {
    return [...this.meshes.keys()];
  }

  counts(): { peers: number; connectedPeers: number; meshes: number } {
    let peers = 0;
    let connectedPeers = 0;
    for (const members of this.meshes.values()) {
      for (const e of members.values()) {
        peers++;
        if (e.socketId !== null) connectedPeers++;
      }
    }
    return { peers, connectedPeers, meshes: this.meshes.size };
  }

  /** Stops every grace timer (server shutdown). */
  clear(): void {
    for (const members of this.meshes.values()) for (const e of members.values()) clearTimeout(e.graceTimer);
    this.meshes.clear();
    this.reservations.clear();
  }
}

export function peerInfo(entry: PeerEntry): PeerInfo {
  return {
    peerId: entry.peerId,
    roles: entry.roles,
    capabilities: entry.capabilities,
    state: entry.state,
    joinedAt: entry.joinedAt,
    trusted: entry.trusted,
  };
}
