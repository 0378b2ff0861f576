/**
 * Signaling tokens are standard JWTs (RFC 7519), so a mesh owner can mint them from their own backend or identity
 * provider with any JWT library. Claims: `mesh`, `roles`, `exp`, optional `sub` (the peer id the token is bound
 * to) and optional `trusted` (the mesh owner's own machines). See docs/security.md.
 *
 * Signing (`signToken`) is HS256 over @noble/hashes, synchronous so that `server.issueToken()` and the CLI stay
 * synchronous (jose signs through WebCrypto, which is async only); the output is checked against jose in the
 * tests. Verification, the part where JWT libraries earn their keep (algorithm pinning, `crit`, claim checks,
 * JWKS), goes through jose: ./token-verify.ts.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HandoutError } from '../errors.js';
import { ID_PATTERN, LIMITS, ROLES, type Role } from './contract.js';

export interface TokenPayload {
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** Expiry, epoch seconds. */
  readonly exp: number;
  /** When present, only this peer id may join with the token. Required when `roles` holds `coordinate`. */
  readonly sub?: string;
  /** Set by the mesh owner on tokens of their own machines; relayed to every member with the peer's roles. */
  readonly trusted?: boolean;
}

/**
 * `outdated`: a pre-JWT handout token; `unknown-key`: no key with the token's `kid`; `keys-unavailable`: the JWKS
 * could not be fetched; `unbound-coordinator`: `coordinate` without `sub`.
 */
export type TokenErrorReason =
  | 'malformed'
  | 'bad-signature'
  | 'expired'
  | 'outdated'
  | 'unknown-key'
  | 'keys-unavailable'
  | 'unbound-coordinator';

export class TokenError extends HandoutError {
  override name = 'TokenError';
  constructor(
    readonly reason: TokenErrorReason,
    message: string,
    /** The part or payload field at fault, e.g. `token`, `header.kid`, `payload.roles`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An HS256 key: the secret and the `kid` naming it in token headers (so several keys can be accepted at once). */
export interface HmacKey {
  readonly kid: string;
  readonly secret: string | Uint8Array;
}

const encoder = new TextEncoder();
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Key ids: what `handout token --kid` and `handout signal --keys` accept. */
export const KID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function base64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Returns undefined for anything that is not canonical unpadded base64url. */
export function base64urlDecode(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // Reject non-canonical encodings (stray low bits in the last character) so one token has one spelling.
  return base64urlEncode(bytes) === text ? bytes : undefined;
}

export function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? encoder.encode(secret) : secret;
  if (bytes.length === 0) throw new TypeError('the token secret must not be empty');
  return bytes;
}

/** Compares in time independent of where the first difference is. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The default `kid` of a secret: 12 base64url characters of a domain-separated SHA-256 of it. It reveals nothing
 * a token signed with the secret does not (both are offline oracles for a weak secret: use a random one).
 */
export function keyIdOf(secret: string | Uint8Array): string {
  const digest = sha256(new Uint8Array([...encoder.encode('handout/kid/v1\n'), ...secretBytes(secret)]));
  return `hs-${base64urlEncode(digest).slice(0, 12)}`;
}

/** Signs an HS256 JWT with `{ alg, typ, kid }` in its header; `key` as a bare secret uses `keyIdOf(secret)`. */
export function signToken(
  payload: TokenPayload,
  key: string | Uint8Array | HmacKey,
  now: number = Date.now(),
): string {
  const { kid, secret } =
    typeof key === 'object' && !(key instanceof Uint8Array) ? key : { kid: keyIdOf(key), secret: key };
  if (!KID_PATTERN.test(kid)) throw new TypeError(`the key id '${kid}' does not match ${KID_PATTERN}`);
  const claims = { ...checkPayload(payload), iat: Math.floor(now / 1000) };
  const header = base64urlEncode(encoder.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })));
  const body = base64urlEncode(encoder.encode(JSON.stringify(claims)));
  const signature = hmac(sha256, secretBytes(secret), encoder.encode(`${header}.${body}`));
  return `${header}.${body}.${base64urlEncode(signature)}`;
}

/** Shape of the handout claims, for signing and after verification; other registered claims are ignored. */
export function checkPayload(value: unknown): TokenPayload {
  const bad = (field: string, message: string) => new TokenError('malformed', `${field} ${message}`, field);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('payload', 'is not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.mesh !== 'string' || !ID_PATTERN.test(o.mesh))
    throw bad('payload.mesh', `must match ${ID_PATTERN}`);
  if (!Array.isArray(o.roles) || o.roles.length === 0)
    throw bad('payload.roles', 'must be a non-empty array');
  for (const role of o.roles) {
    if (!(ROLES as readonly unknown[]).includes(role))
      throw bad('payload.roles', `has an unknown role ${JSON.stringify(role)}`);
  }
  if (typeof o.exp !== 'number' || !Number.isSafeInteger(o.exp) || o.exp < 0) {
    throw bad('payload.exp', 'must be a whole number of epoch seconds');
  }
  if (o.sub !== undefined && (typeof o.sub !== 'string' || !ID_PATTERN.test(o.sub))) {
    throw bad('payload.sub', `must match ${ID_PATTERN}`);
  }
  if (o.trusted !== undefined && typeof o.trusted !== 'boolean')
    throw bad('payload.trusted', 'must be a boolean');
  const roles = [...new Set(o.roles as Role[])];
  // A coordinator receives every peer's cache announcements and the mesh key: the token must say which peer it
  // is, so that nobody else can take its id (see the registry's id reservations).
  if (roles.includes('coordinate') && o.sub === undefined) {
    throw new TokenError(
      'unbound-coordinator',
      "a token granting 'coordinate' must be bound to one peer id (claim 'sub'; handout token --peer <id>)",
      'payload.sub',
    );
  }
  const out: { mesh: string; roles: Role[]; exp: number; sub?: string; trusted?: boolean } = {
    mesh: o.mesh,
    roles,
    exp: o.exp,
  };
  if (o.sub !== undefined) out.sub = o.sub as string;
  if (o.trusted === true) out.trusted = true;
  return out;
}

/** Cheap checks before any cryptography: length, and the pre-JWT format (two parts) named as such. */
export function checkTokenText(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0)
    throw new TokenError('malformed', 'the token is empty', 'token');
  if (token.length > LIMITS.tokenLength) {
    throw new TokenError('malformed', `the token is longer than ${LIMITS.tokenLength} characters`, 'token');
  }
  const parts = token.split('.').length;
  if (parts === 2) {
    throw new TokenError(
      'outdated',
      'this is a pre-JWT handout token, no longer accepted: make a new one with `handout token` (or ask the ' +
        'mesh owner for one)',
      'token',
    );
  }
  if (parts !== 3) throw new TokenError('malformed', 'a JWT has three dot-separated parts', 'token');
  return token;
}

/** Parses durations like `90s`, `15m`, `1h`, `7d` or a plain number of seconds (for `handout token --ttl`). */
export function parseTtl(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new TypeError(`invalid duration '${text}': use e.g. 90s, 15m, 1h, 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
