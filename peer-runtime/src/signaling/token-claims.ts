/**
 * What a token says, read without verifying it: a peer cannot verify (it does not hold the server's secret) but
 * must know which roles to ask for, since asking for a role the token lacks is refused. The server verifies.
 */
import { HandoutError } from '../errors.js';
import { ROLES, type Role } from './contract.js';
import { base64urlDecode } from './token.js';

export interface TokenClaims {
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** Expiry, epoch seconds. */
  readonly exp: number;
  readonly sub?: string;
}

export class TokenFormatError extends HandoutError {
  override name = 'TokenFormatError';
}

export function readTokenClaims(token: string): TokenClaims {
  const [body, signature, extra] = token.split('.');
  const bytes =
    body === undefined || signature === undefined || extra !== undefined ? undefined : base64urlDecode(body);
  if (bytes === undefined)
    throw new TokenFormatError('the token is malformed: expected <payload>.<signature> in base64url');
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TokenFormatError('the token is malformed: its payload is not JSON');
  }
  const p = payload as Partial<Record<keyof TokenClaims, unknown>>;
  if (typeof p.mesh !== 'string' || !Array.isArray(p.roles) || typeof p.exp !== 'number')
    throw new TokenFormatError('the token is malformed: it lacks mesh, roles or exp');
  const roles = p.roles.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r));
  return { mesh: p.mesh, roles, exp: p.exp, ...(typeof p.sub === 'string' ? { sub: p.sub } : {}) };
}
