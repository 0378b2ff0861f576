/**
 * Validators for every incoming signaling event (both directions), as schemas of the validation kit
 * (../schema). Each checks shape, types and sizes, and returns a fresh object holding only the known fields, so
 * nothing unexpected is stored or relayed; a failure is a `Validation` whose ProtocolError names the culprit
 * (`data.sdp`, `auth.capabilities.tags[3]`) and says what it must be.
 */
import { ProtocolError } from '../errors.js';
import {
  boolean,
  choice,
  constant,
  dict,
  list,
  nullable,
  number,
  object,
  optional,
  pathOf,
  Reader,
  readFirst,
  refine,
  type Schema,
  string,
  transform,
  variant,
} from '../schema/index.js';
import {
  type Handshake,
  type IceServerConfig,
  type IceServersMessage,
  ID_PATTERN,
  type LeaveReason,
  LIMITS,
  type MembersChangedMessage,
  type MeshSnapshot,
  type PeerCapabilities,
  type PeerInfo,
  type PeerLeftMessage,
  type PeerState,
  type PeerUpdate,
  ROLES,
  type Role,
  type SessionClosingMessage,
  type SignalData,
  type SignalFromMessage,
  type SignalToMessage,
  type TokenExpiringMessage,
  type TokenRenewMessage,
} from './contract.js';

export type Validation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ProtocolError };

const TAG_PATTERN = /^[A-Za-z0-9_.:/=+-]{1,64}$/;
const RESUME_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

// Lengths below are in UTF-16 units: the strings checked here (SDP, ids, tags) are ASCII, so they equal bytes.
const id = string({ min: 1, max: LIMITS.idLength, pattern: ID_PATTERN, name: 'an id' });
const tag = string({ min: 1, max: LIMITS.tagLength, pattern: TAG_PATTERN, name: 'a tag' });
const resumeKey = string({ min: 1, max: 128, pattern: RESUME_KEY_PATTERN, name: 'a resume key' });
const count = (max: number) => number({ integer: true, min: 0, max });
const amount = (max: number) => number({ min: 0, max });
const epochSeconds = count(Number.MAX_SAFE_INTEGER);

const roles: Schema<Role[]> = refine(list(choice(ROLES), { min: 1, max: ROLES.length }), (list) => {
  const at = list.findIndex((r, i) => list.indexOf(r) !== i);
  return at === -1 ? undefined : { key: at, complaint: `must not repeat role '${list[at]}'` };
});

const capabilities = object<PeerCapabilities>({
  platform: choice(['node', 'browser']),
  cores: count(LIMITS.maxCores),
  memoryMB: amount(LIMITS.maxMemoryMB),
  gpu: boolean(),
  tags: transform(list(tag, { max: LIMITS.tags }), (tags) => [...new Set(tags)]),
  costRate: amount(1e9),
  speed: amount(1e9),
  resources: optional(dict(amount(1e12), { max: LIMITS.resources, key: tag })),
  label: optional(string({ max: LIMITS.labelLength })),
});

const state = object<PeerState>({
  running: count(LIMITS.maxSlots),
  slots: count(LIMITS.maxSlots),
  paused: boolean(),
  cpu: optional(number({ min: 0, max: 1 })),
  memoryMB: optional(amount(LIMITS.maxMemoryMB)),
});

const peerInfo = object<PeerInfo>({
  peerId: id,
  roles,
  capabilities,
  state,
  joinedAt: amount(Number.MAX_SAFE_INTEGER),
  trusted: optional(boolean()),
});

type Candidate = Extract<SignalData, { type: 'candidate' }>;

const signalData = variant<SignalData>(
  'type',
  {
    offer: object({ type: choice(['offer']), sdp: string({ max: LIMITS.sdpBytes }) }),
    answer: object({ type: choice(['answer']), sdp: string({ max: LIMITS.sdpBytes }) }),
    candidate: object<Candidate>({
      type: choice(['candidate']),
      candidate: object<Candidate['candidate']>({
        candidate: string({ max: LIMITS.candidateLength }),
        sdpMLineIndex: optional(nullable(count(65535))),
        sdpMid: optional(nullable(string({ max: LIMITS.idLength }))),
        usernameFragment: optional(nullable(string({ max: 256 }))),
      }),
    }),
    renegotiate: object({ type: choice(['renegotiate']), renegotiate: constant(true) }),
    transceiverRequest: object({
      type: choice(['transceiverRequest']),
      transceiverRequest: object({ kind: string({ max: 16 }) }),
    }),
  },
  'a signal type (offer, answer, candidate, renegotiate, transceiverRequest)',
);

const handshake = object<Handshake>({
  version: count(1e6),
  token: string({ max: LIMITS.tokenLength }),
  capabilities,
  peerId: optional(id),
  resumeKey: optional(resumeKey),
  roles: optional(roles),
  mesh: optional(id),
  state: optional(state),
});

const peerUpdate = refine(
  object<PeerUpdate>({ capabilities: optional(capabilities.partial()), state: optional(state.partial()) }),
  (u) =>
    u.capabilities === undefined && u.state === undefined
      ? { complaint: 'must have capabilities or state' }
      : undefined,
);

const LEAVE_REASONS: readonly LeaveReason[] = ['left', 'lost', 'expelled', 'expired'];

/** One reader for every event: validation never re-enters itself. */
const reader = new Reader(false);

/** A validator of one event: its payload read by `schema`, failures named below `root` (`auth.token`). */
function validator<T>(schema: Schema<T>, root: string): (value: unknown) => Validation<T> {
  return (value) => {
    const outcome = readFirst(schema, value, reader);
    if (outcome.ok) return outcome;
    const field = pathOf(outcome.failure, root) || 'payload';
    return { ok: false, error: new ProtocolError(`${field}: ${outcome.failure.complaint}`, field) };
  };
}

// ---- client → server ------------------------------------------------------------------------------------

export const validateHandshake: (value: unknown) => Validation<Handshake> = validator(handshake, 'auth');
export const validatePeerUpdate: (value: unknown) => Validation<PeerUpdate> = validator(peerUpdate, '');
export const validateSignalTo: (value: unknown) => Validation<SignalToMessage> = validator(
  object<SignalToMessage>({ to: id, data: signalData }),
  '',
);
export const validateSignalData: (value: unknown) => Validation<SignalData> = validator(signalData, 'data');
export const validateTokenRenew: (value: unknown) => Validation<TokenRenewMessage> = validator(
  object<TokenRenewMessage>({ token: string({ max: LIMITS.tokenLength }) }),
  '',
);

// ---- server → client ------------------------------------------------------------------------------------

/** An ICE server URL: stun/stuns/turn/turns, a host, an optional port and `?transport=udp|tcp`. */
const ICE_URL_PATTERN = /^(stuns?|turns?):[A-Za-z0-9.:[\]_-]{1,253}(\?transport=(udp|tcp))?$/;
const iceServer = object<IceServerConfig>({
  urls: list(string({ min: 1, max: 300, pattern: ICE_URL_PATTERN, name: 'a stun:/turn: URL' }), {
    min: 1,
    max: 8,
  }),
  username: optional(string({ min: 1, max: 512 })),
  credential: optional(string({ min: 1, max: 512 })),
});

export const validateMeshSnapshot: (value: unknown) => Validation<MeshSnapshot> = validator(
  object<MeshSnapshot>({
    version: count(1e6),
    mesh: id,
    self: peerInfo,
    peers: list(peerInfo, { max: 100_000 }),
    resumeKey,
    reconnectGraceMs: amount(1e9),
    meshKey: optional(string({ min: 1, max: 64, pattern: RESUME_KEY_PATTERN, name: 'a mesh key' })),
    fetchKey: optional(string({ min: 1, max: 64, pattern: RESUME_KEY_PATTERN, name: 'a fetch key' })),
    tokenExp: epochSeconds,
    iceServers: optional(list(iceServer, { max: 16 })),
  }),
  '',
);
export const validateIceServers: (value: unknown) => Validation<IceServersMessage> = validator(
  object<IceServersMessage>({ iceServers: list(iceServer, { max: 16 }) }),
  '',
);
export const validateMembersChanged: (value: unknown) => Validation<MembersChangedMessage> = validator(
  object<MembersChangedMessage>({
    joined: optional(list(peerInfo, { max: 100_000 })),
    updated: list(peerInfo, { max: 100_000 }),
  }),
  '',
);
export const validateTokenExpiring: (value: unknown) => Validation<TokenExpiringMessage> = validator(
  object<TokenExpiringMessage>({ exp: epochSeconds }),
  '',
);
const SESSION_CLOSE_REASONS: readonly SessionClosingMessage['reason'][] = ['token-expired'];
export const validateSessionClosing: (value: unknown) => Validation<SessionClosingMessage> = validator(
  object<SessionClosingMessage>({ reason: choice(SESSION_CLOSE_REASONS), message: string({ max: 1024 }) }),
  '',
);
export const validatePeerInfo: (value: unknown) => Validation<PeerInfo> = validator(peerInfo, '');
export const validatePeerLeft: (value: unknown) => Validation<PeerLeftMessage> = validator(
  object<PeerLeftMessage>({ peerId: id, reason: choice(LEAVE_REASONS) }),
  '',
);
export const validateSignalFrom: (value: unknown) => Validation<SignalFromMessage> = validator(
  object<SignalFromMessage>({ from: id, data: signalData }),
  '',
);

/** Applies a validated partial update to a peer's capabilities and state. */
export function mergeUpdate(
  current: { capabilities: PeerCapabilities; state: PeerState },
  update: PeerUpdate,
): { capabilities: PeerCapabilities; state: PeerState } {
  return {
    capabilities: { ...current.capabilities, ...update.capabilities },
    state: { ...current.state, ...update.state },
  };
}
