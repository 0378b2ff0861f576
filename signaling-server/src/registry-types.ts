/**
 * The registry contract: who is in which mesh, under which id, on which socket. Two implementations share it:
 * `MemoryRegistry` (one process; the default) and `RedisRegistry` (several signaling processes sharing one
 * Redis). Every operation is asynchronous and atomic in the store, and every change of a peer's record names the
 * socket that holds it (`socketId`), so a process that lost a peer to another one (a resume elsewhere) cannot
 * overwrite or remove the newer record.
 *
 * Presence is kept by deadlines, not timers: a connected record's deadline is kept in the future by the process
 * holding its socket (`refresh`; `Infinity` in one process), a dropped one gets `now + reconnectGraceMs`
 * (`suspend`), and `expire` removes the records past their deadline, each exactly once over all processes, so
 * the process that removed it announces its `peer:left`. A process that dies stops refreshing: its peers keep
 * their ids for the grace window, enough to resume on another process, then expire.
 */
import type { PeerCapabilities, PeerInfo, PeerState, Refusal, Role } from '@handout/peer-runtime/signaling';

/** A token's `sub`, or null for a token bound to no peer. */
export type Subject = string | null;

/** One member as the registry stores it. */
export interface PeerRecord {
  readonly mesh: string;
  readonly peerId: string;
  readonly roles: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly state: PeerState;
  /** Epoch ms of the first join (kept across resumes, on any process). */
  readonly joinedAt: number;
  /** The token's `sub` (null: unbound): who may take this id back (see reservations). */
  readonly subject: Subject;
  readonly trusted: boolean;
  /** Expiry of the session's token, epoch seconds. */
  readonly tokenExp: number;
  /** The live socket (socket.io ids are unique over processes), or null while within the reconnect grace. */
  readonly socketId: string | null;
  /**
   * SHA-256 (hex) of the session's resume key: the key itself is never stored, so a registry dump cannot be
   * used to take over a peer.
   */
  readonly resumeKeyHash: string;
}

/** What a socket asks for when it is admitted. */
export interface Claim {
  readonly mesh: string;
  /** The id asked for (or bound by the token); the caller has picked one when the client did not. */
  readonly peerId: string;
  /** Hash of the resume key presented, if any. */
  readonly resumeKeyHash: string | undefined;
  readonly socketId: string;
  readonly roles: readonly Role[];
  readonly subject: Subject;
  readonly trusted: boolean;
  readonly tokenExp: number;
  readonly capabilities: PeerCapabilities;
  readonly state: PeerState;
  /** Hash of the resume key to store if this claim is a new join. */
  readonly newResumeKeyHash: string;
}

export type ClaimResult =
  | { ok: true; kind: 'joined'; record: PeerRecord }
  /**
   * `replacedSocketId`: the old socket, which the server may not have seen drop yet (on this process or
   * another); the caller disconnects it. `before`: the peer as the others knew it.
   */
  | { ok: true; kind: 'resumed'; record: PeerRecord; replacedSocketId: string | null; before: PeerRecord }
  | { ok: false; refusal: Refusal };

/** Fields a connected peer may change (`peer:update`, `token:renew`). */
export interface RecordPatch {
  readonly capabilities?: PeerCapabilities;
  readonly state?: PeerState;
  readonly trusted?: boolean;
  readonly tokenExp?: number;
}

export interface RegistryGauges {
  /** Peers registered: connected, or within their reconnect grace window. */
  readonly peers: number;
  readonly connectedPeers: number;
  readonly meshes: number;
  /** Ids reserved for their token subject after their peer left. */
  readonly reservedIds: number;
}

export interface PeerRegistry {
  /** Joins, or resumes with the resume key and the same subject; refuses a taken or reserved id. */
  claim(claim: Claim): Promise<ClaimResult>;
  get(mesh: string, peerId: string): Promise<PeerRecord | undefined>;
  /** The members of a mesh (all of them, or all but one). */
  members(mesh: string, except?: string): Promise<PeerRecord[]>;
  meshNames(): Promise<string[]>;
  /** Changes a record still held by `socketId`; the updated record, or undefined when it moved or left. */
  update(mesh: string, peerId: string, socketId: string, patch: RecordPatch): Promise<PeerRecord | undefined>;
  /** `socketId` dropped: the record waits `graceMs` for a resume. False when it moved or left meanwhile. */
  suspend(mesh: string, peerId: string, socketId: string, graceMs: number): Promise<boolean>;
  /** Removes a record still held by `socketId` and reserves its id for its subject; the record, if removed. */
  remove(mesh: string, peerId: string, socketId: string): Promise<PeerRecord | undefined>;
  /** Removes every record past its deadline (reserving their ids); each is returned by one call only. */
  expire(): Promise<PeerRecord[]>;
  /** Keeps these connected records alive for another `ttlMs` (those still held by the socket named). */
  refresh(held: readonly { mesh: string; peerId: string; socketId: string }[], ttlMs: number): Promise<void>;
  /** Synchronous, for `/metrics` and `/health`: exact in one process, last sweep's figures with Redis. */
  gauges(): RegistryGauges;
  /** Stops timers and connections (shared state stays for the other processes). */
  close(): Promise<void>;
}

export function peerInfo(record: PeerRecord): PeerInfo {
  return {
    peerId: record.peerId,
    roles: record.roles,
    capabilities: record.capabilities,
    state: record.state,
    joinedAt: record.joinedAt,
    trusted: record.trusted,
  };
}

/** The refusal for a live id claimed without its resume key (or with another subject). */
export function idTaken(mesh: string, peerId: string): Refusal {
  return {
    reason: 'peer-id-taken',
    message: `peer id '${peerId}' is in use in mesh '${mesh}'`,
    field: 'auth.peerId',
  };
}

/** The refusal for an id reserved for another subject for `msLeft` more. */
export function idReserved(mesh: string, peerId: string, heldBy: Subject, msLeft: number): Refusal {
  return {
    reason: 'peer-id-reserved',
    message:
      `peer id '${peerId}' was used in mesh '${mesh}' ${heldBy === null ? 'with a token bound to no peer' : 'by another token subject'}; ` +
      `it is reserved for that subject for ${Math.ceil(msLeft / 1000)} s more`,
    field: 'auth.peerId',
  };
}
