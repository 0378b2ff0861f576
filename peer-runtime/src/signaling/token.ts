/**
 * Signaling tokens: `base64url(JSON payload) + '.' + base64url(HMAC-SHA256(secret, first part))`.
 * A token grants roles in one mesh until `exp`, optionally bound to one peer id (`sub`). @noble/hashes keeps this
 * synchronous and identical in Node and browsers (WebCrypto's HMAC is async only).
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
  /** When present, only this peer id may join with the token. */
  readonly sub?: string;
}

export type TokenErrorReason = 'malformed' | 'bad-signature' | 'expired';

export class TokenError extends HandoutError {
  override name = 'TokenError';
  constructor(
    readonly reason: TokenErrorReason,
    message: string,
    /** The part or payload field at fault, e.g. `signature`, `payload.roles`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*$/;

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

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? encoder.encode(secret) : secret;
  if (bytes.length === 0) throw new TypeError('the token secret must not be empty');
  return bytes;
}

function sign(body: string, secret: string | Uint8Array): Uint8Array {
  return hmac(sha256, secretBytes(secret), encoder.encode(body));
}

/** Compares in time independent of where the first difference is. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function signToken(payload: TokenPayload, secret: string | Uint8Array): string {
  const checked = checkPayload(payload);
  const body = base64urlEncode(encoder.encode(JSON.stringify(checked)));
  return `${body}.${base64urlEncode(sign(body, secret))}`;
}

/** Verifies signature, shape and expiry; throws TokenError naming what is wrong. `now` is epoch milliseconds. */
export function verifyToken(
  token: string,
  secret: string | Uint8Array,
  now: number = Date.now(),
): TokenPayload {
  if (typeof token !== 'string' || token.length === 0)
    throw new TokenError('malformed', 'the token is empty', 'token');
  if (token.length > LIMITS.tokenLength) {
    throw new TokenError('malformed', `the token is longer than ${LIMITS.tokenLength} characters`, 'token');
  }
  const parts = token.split('.');
  if (parts.length !== 2) throw new TokenError('malformed', 'a token has two dot-separated parts', 'token');
  const [body, sig] = parts as [string, string];
  const signature = base64urlDecode(sig);
  if (!signature) throw new TokenError('malformed', 'the signature is not base64url', 'signature');
  // Authenticate before parsing: nothing of an unsigned payload is looked at.
  if (!constantTimeEqual(signature, sign(body, secret))) {
    throw new TokenError('bad-signature', 'the token signature does not match this server', 'signature');
  }
  const bytes = base64urlDecode(body);
  if (!bytes) throw new TokenError('malformed', 'the payload is not base64url', 'payload');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new TokenError('malformed', 'the payload is not JSON', 'payload');
  }
  const payload = checkPayload(parsed);
  if (payload.exp * 1000 <= now) {
    throw new TokenError(
      'expired',
      `the token expired at ${new Date(payload.exp * 1000).toISOString()}`,
      'payload.exp',
    );
  }
  return payload;
}

/** Shape of a payload, for signing and after verification. */
function checkPayload(value: unknown): TokenPayload {
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
  const out: { mesh: string; roles: Role[]; exp: number; sub?: string } = {
    mesh: o.mesh,
    roles: [...new Set(o.roles as Role[])],
    exp: o.exp,
  };
  if (o.sub !== undefined) out.sub = o.sub as string;
  return out;
}

/** Parses durations like `90s`, `15m`, `1h`, `7d` or a plain number of seconds (for `handout token --ttl`). */
export function parseTtl(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new TypeError(`invalid duration '${text}': use e.g. 90s, 15m, 1h, 7d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
