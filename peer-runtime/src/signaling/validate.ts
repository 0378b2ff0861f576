/**
 * Validators for every incoming signaling event (both directions). Each checks shape, types and sizes, and
 * returns a fresh object holding only the known fields, so nothing unexpected is stored or relayed; a failure
 * is a ProtocolError whose `field` names the culprit (`data.sdp`, `capabilities.tags[3]`).
 */
import { ProtocolError } from '../errors.js';
import {
  type Handshake,
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

type Fields = Record<string, unknown>;

/** Thrown inside a validator and turned into a Validation failure at its boundary. */
class Invalid {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

function fail(field: string, message: string): never {
  throw new Invalid(field, message);
}

function validation<T>(check: () => T): Validation<T> {
  try {
    return { ok: true, value: check() };
  } catch (e) {
    if (e instanceof Invalid)
      return { ok: false, error: new ProtocolError(`${e.field}: ${e.message}`, e.field) };
    throw e;
  }
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

function record(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field || 'payload', `expected an object, got ${describe(value)}`);
  }
  return value as Fields;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function string(value: unknown, field: string, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string') fail(field, `expected a string, got ${describe(value)}`);
  // Length in UTF-16 units: the strings checked here (SDP, ids, tags) are ASCII, so it equals their bytes.
  if (value.length > max) fail(field, `longer than ${max} characters (${value.length})`);
  if (pattern && !pattern.test(value)) fail(field, `does not match ${pattern}`);
  return value;
}

function number(value: unknown, field: string, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(field, `expected a finite number, got ${describe(value)}`);
  if (integer && !Number.isInteger(value)) fail(field, `expected an integer, got ${value}`);
  if (value < min || value > max) fail(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, `expected a boolean, got ${describe(value)}`);
  return value;
}

function array(value: unknown, field: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) fail(field, `expected an array, got ${describe(value)}`);
  if (value.length > max) fail(field, `more than ${max} entries (${value.length})`);
  return value;
}

function id(value: unknown, field: string): string {
  return string(value, field, LIMITS.idLength, ID_PATTERN);
}

const TAG_PATTERN = /^[A-Za-z0-9_.:/=+-]{1,64}$/;
const RESUME_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

function roles(value: unknown, field: string): Role[] {
  const list = array(value, field, ROLES.length);
  if (list.length === 0) fail(field, 'expected at least one role');
  const seen = new Set<Role>();
  list.forEach((r, i) => {
    if (!(ROLES as readonly unknown[]).includes(r))
      fail(`${field}[${i}]`, `unknown role ${JSON.stringify(r)}`);
    if (seen.has(r as Role)) fail(`${field}[${i}]`, `duplicate role '${r}'`);
    seen.add(r as Role);
  });
  return [...seen];
}

/** Only the fields present are checked (partial) or all are required (full). */
function capabilityFields(value: unknown, field: string, partial: boolean): Partial<PeerCapabilities> {
  const o = record(value, field);
  const out: { -readonly [K in keyof PeerCapabilities]?: PeerCapabilities[K] } = {};
  const need = (key: keyof PeerCapabilities) => {
    const present = o[key] !== undefined;
    if (!present && !partial && key !== 'resources') fail(join(field, key), 'is required');
    return present;
  };
  if (need('platform')) {
    const p = o.platform;
    if (p !== 'node' && p !== 'browser') fail(join(field, 'platform'), `expected 'node' or 'browser'`);
    out.platform = p;
  }
  if (need('cores')) out.cores = number(o.cores, join(field, 'cores'), 0, LIMITS.maxCores, true);
  if (need('memoryMB')) out.memoryMB = number(o.memoryMB, join(field, 'memoryMB'), 0, LIMITS.maxMemoryMB);
  if (need('gpu')) out.gpu = boolean(o.gpu, join(field, 'gpu'));
  if (need('tags')) {
    const f = join(field, 'tags');
    const tags = array(o.tags, f, LIMITS.tags).map((t, i) =>
      string(t, `${f}[${i}]`, LIMITS.tagLength, TAG_PATTERN),
    );
    out.tags = [...new Set(tags)];
  }
  if (need('costRate')) out.costRate = number(o.costRate, join(field, 'costRate'), 0, 1e9);
  if (need('speed')) out.speed = number(o.speed, join(field, 'speed'), 0, 1e9);
  if (need('resources')) {
    const f = join(field, 'resources');
    const entries = Object.entries(record(o.resources, f));
    if (entries.length > LIMITS.resources) fail(f, `more than ${LIMITS.resources} resources`);
    out.resources = Object.fromEntries(
      entries.map(([k, v]) => [
        string(k, `${f} key`, LIMITS.tagLength, TAG_PATTERN),
        number(v, `${f}.${k}`, 0, 1e12),
      ]),
    );
  }
  return out;
}

function capabilities(value: unknown, field: string): PeerCapabilities {
  return capabilityFields(value, field, false) as PeerCapabilities;
}

function stateFields(value: unknown, field: string, partial: boolean): Partial<PeerState> {
  const o = record(value, field);
  const out: { -readonly [K in keyof PeerState]?: PeerState[K] } = {};
  for (const key of ['running', 'slots'] as const) {
    if (o[key] === undefined) {
      if (!partial) fail(join(field, key), 'is required');
    } else out[key] = number(o[key], join(field, key), 0, LIMITS.maxSlots, true);
  }
  if (o.paused === undefined) {
    if (!partial) fail(join(field, 'paused'), 'is required');
  } else out.paused = boolean(o.paused, join(field, 'paused'));
  return out;
}

function state(value: unknown, field: string): PeerState {
  return stateFields(value, field, false) as PeerState;
}

function peerInfo(value: unknown, field: string): PeerInfo {
  const o = record(value, field);
  const info: PeerInfo = {
    peerId: id(o.peerId, join(field, 'peerId')),
    roles: roles(o.roles, join(field, 'roles')),
    capabilities: capabilities(o.capabilities, join(field, 'capabilities')),
    state: state(o.state, join(field, 'state')),
    joinedAt: number(o.joinedAt, join(field, 'joinedAt'), 0, Number.MAX_SAFE_INTEGER),
  };
  if (o.trusted === undefined) return info;
  return { ...info, trusted: boolean(o.trusted, join(field, 'trusted')) };
}

function nullable<T>(value: unknown, check: (v: unknown) => T): T | null | undefined {
  return value === null || value === undefined ? (value as null | undefined) : check(value);
}

function signalData(value: unknown, field: string): SignalData {
  const o = record(value, field);
  switch (o.type) {
    case 'offer':
    case 'answer':
      return { type: o.type, sdp: string(o.sdp, join(field, 'sdp'), LIMITS.sdpBytes) };
    case 'candidate': {
      const f = join(field, 'candidate');
      const c = record(o.candidate, f);
      const candidate: {
        candidate: string;
        sdpMLineIndex?: number | null;
        sdpMid?: string | null;
        usernameFragment?: string | null;
      } = { candidate: string(c.candidate, join(f, 'candidate'), LIMITS.candidateLength) };
      const line = nullable(c.sdpMLineIndex, (v) => number(v, join(f, 'sdpMLineIndex'), 0, 65535, true));
      const mid = nullable(c.sdpMid, (v) => string(v, join(f, 'sdpMid'), LIMITS.idLength));
      const ufrag = nullable(c.usernameFragment, (v) => string(v, join(f, 'usernameFragment'), 256));
      if (line !== undefined) candidate.sdpMLineIndex = line;
      if (mid !== undefined) candidate.sdpMid = mid;
      if (ufrag !== undefined) candidate.usernameFragment = ufrag;
      return { type: 'candidate', candidate };
    }
    case 'renegotiate':
      if (o.renegotiate !== true) fail(join(field, 'renegotiate'), 'expected true');
      return { type: 'renegotiate', renegotiate: true };
    case 'transceiverRequest': {
      const f = join(field, 'transceiverRequest');
      const kind = string(record(o.transceiverRequest, f).kind, join(f, 'kind'), 16);
      return { type: 'transceiverRequest', transceiverRequest: { kind } };
    }
    default:
      return fail(join(field, 'type'), `unknown signal type ${JSON.stringify(o.type)}`);
  }
}

// ---- client → server ------------------------------------------------------------------------------------

export function validateHandshake(value: unknown): Validation<Handshake> {
  return validation(() => {
    const o = record(value, 'auth');
    const out: {
      -readonly [K in keyof Handshake]: Handshake[K];
    } = {
      version: number(o.version, 'auth.version', 0, 1e6, true),
      token: string(o.token, 'auth.token', LIMITS.tokenLength),
      capabilities: capabilities(o.capabilities, 'auth.capabilities'),
    };
    if (o.peerId !== undefined) out.peerId = id(o.peerId, 'auth.peerId');
    if (o.resumeKey !== undefined)
      out.resumeKey = string(o.resumeKey, 'auth.resumeKey', 128, RESUME_KEY_PATTERN);
    if (o.roles !== undefined) out.roles = roles(o.roles, 'auth.roles');
    if (o.mesh !== undefined) out.mesh = id(o.mesh, 'auth.mesh');
    if (o.state !== undefined) out.state = state(o.state, 'auth.state');
    return out;
  });
}

export function validatePeerUpdate(value: unknown): Validation<PeerUpdate> {
  return validation(() => {
    const o = record(value, '');
    if (o.capabilities === undefined && o.state === undefined)
      fail('payload', 'expected capabilities or state');
    const out: { capabilities?: Partial<PeerCapabilities>; state?: Partial<PeerState> } = {};
    if (o.capabilities !== undefined)
      out.capabilities = capabilityFields(o.capabilities, 'capabilities', true);
    if (o.state !== undefined) out.state = stateFields(o.state, 'state', true);
    return out;
  });
}

export function validateSignalTo(value: unknown): Validation<SignalToMessage> {
  return validation(() => {
    const o = record(value, '');
    return { to: id(o.to, 'to'), data: signalData(o.data, 'data') };
  });
}

export function validateSignalData(value: unknown): Validation<SignalData> {
  return validation(() => signalData(value, 'data'));
}

export function validateTokenRenew(value: unknown): Validation<TokenRenewMessage> {
  return validation(() => ({ token: string(record(value, '').token, 'token', LIMITS.tokenLength) }));
}

// ---- server → client ------------------------------------------------------------------------------------

export function validateMeshSnapshot(value: unknown): Validation<MeshSnapshot> {
  return validation(() => {
    const o = record(value, '');
    return {
      version: number(o.version, 'version', 0, 1e6, true),
      mesh: id(o.mesh, 'mesh'),
      self: peerInfo(o.self, 'self'),
      peers: array(o.peers, 'peers', 100_000).map((p, i) => peerInfo(p, `peers[${i}]`)),
      resumeKey: string(o.resumeKey, 'resumeKey', 128, RESUME_KEY_PATTERN),
      reconnectGraceMs: number(o.reconnectGraceMs, 'reconnectGraceMs', 0, 1e9),
      tokenExp: number(o.tokenExp, 'tokenExp', 0, Number.MAX_SAFE_INTEGER, true),
      ...(o.meshKey !== undefined && { meshKey: string(o.meshKey, 'meshKey', 64, RESUME_KEY_PATTERN) }),
    };
  });
}

export function validateMembersChanged(value: unknown): Validation<MembersChangedMessage> {
  return validation(() => {
    const o = record(value, '');
    const joined = o.joined === undefined ? [] : array(o.joined, 'joined', 100_000);
    return {
      ...(o.joined !== undefined && { joined: joined.map((p, i) => peerInfo(p, `joined[${i}]`)) }),
      updated: array(o.updated, 'updated', 100_000).map((p, i) => peerInfo(p, `updated[${i}]`)),
    };
  });
}

export function validateTokenExpiring(value: unknown): Validation<TokenExpiringMessage> {
  return validation(() => ({ exp: number(record(value, '').exp, 'exp', 0, Number.MAX_SAFE_INTEGER, true) }));
}

const SESSION_CLOSE_REASONS: readonly SessionClosingMessage['reason'][] = ['token-expired'];

export function validateSessionClosing(value: unknown): Validation<SessionClosingMessage> {
  return validation(() => {
    const o = record(value, '');
    if (!(SESSION_CLOSE_REASONS as readonly unknown[]).includes(o.reason))
      fail('reason', 'unknown close reason');
    return {
      reason: o.reason as SessionClosingMessage['reason'],
      message: string(o.message, 'message', 1024),
    };
  });
}

export function validatePeerInfo(value: unknown): Validation<PeerInfo> {
  return validation(() => peerInfo(value, ''));
}

const LEAVE_REASONS: readonly LeaveReason[] = ['left', 'lost', 'expelled', 'expired'];

export function validatePeerLeft(value: unknown): Validation<PeerLeftMessage> {
  return validation(() => {
    const o = record(value, '');
    const reason = o.reason;
    if (!(LEAVE_REASONS as readonly unknown[]).includes(reason)) fail('reason', `unknown leave reason`);
    return { peerId: id(o.peerId, 'peerId'), reason: reason as LeaveReason };
  });
}

export function validateSignalFrom(value: unknown): Validation<SignalFromMessage> {
  return validation(() => {
    const o = record(value, '');
    return { from: id(o.from, 'from'), data: signalData(o.data, 'data') };
  });
}

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
