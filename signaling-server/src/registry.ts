/**
 * Who is in which mesh. A peer id is claimed by one socket at a time; after that socket drops, the id stays
 * reserved for `reconnectGraceMs` and only a reconnect presenting the session's resume key may take it back
 * (a peer id alone proves nothing: any holder of a mesh token could otherwise hijack a blipping peer).
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

export interface PeerEntry {
  readonly mesh: string;
  readonly peerId: string;
  roles: readonly Role[];
  capabilities: PeerCapabilities;
  state: PeerState;
  readonly joinedAt: number;
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
  private readonly meshes = new Map<string, Map<string, PeerEntry>>();

  claim(claim: Claim, now: number): ClaimResult {
    let members = this.meshes.get(claim.mesh);
    if (!members) {
      members = new Map();
      this.meshes.set(claim.mesh, members);
    }
    const peerId = claim.peerId ?? randomId(12);
    const existing = members.get(peerId);
    if (!existing) {
      const entry: PeerEntry = {
        mesh: claim.mesh,
        peerId,
        roles: claim.roles,
        capabilities: claim.capabilities,
        state: claim.state,
        joinedAt: now,
        socketId: claim.socketId,
        resumeKey: randomId(24),
      };
      members.set(peerId, entry);
      return { ok: true, kind: 'joined', entry };
    }
    const proven =
      claim.resumeKey !== undefined &&
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
    existing.capabilities = claim.capabilities;
    existing.state = claim.state;
    return { ok: true, kind: 'resumed', entry: existing, replacedSocketId };
  }

  get(mesh: string, peerId: string): PeerEntry | undefined {
    return this.meshes.get(mesh)?.get(peerId);
  }

  /** Removes a peer; true if it was there. */
  remove(entry: PeerEntry): boolean {
    const members = this.meshes.get(entry.mesh);
    if (members?.get(entry.peerId) !== entry) return false;
    clearTimeout(entry.graceTimer);
    members.delete(entry.peerId);
    if (members.size === 0) this.meshes.delete(entry.mesh);
    return true;
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
  }
}

export function peerInfo(entry: PeerEntry): PeerInfo {
  return {
    peerId: entry.peerId,
    roles: entry.roles,
    capabilities: entry.capabilities,
    state: entry.state,
    joinedAt: entry.joinedAt,
  };
}
