/**
 * What a token says, read without verifying it: a peer cannot verify (it does not hold the server's secret) but
 * must know which roles to ask for, since asking for a role the token lacks is refused. The server verifies.
 */
import { decodeJwt } from 'jose';
import { HandoutError } from '../errors.js';
import { ROLES, type Role } from './contract.js';

export interface TokenClaims {
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** Expiry, epoch seconds. */
  readonly exp: number;
  readonly sub?: string;
  /** The mesh owner marked the token as one of their own machines'. */
  readonly trusted?: boolean;
}

export class TokenFormatError extends HandoutError {
  override name = 'TokenFormatError';
}

export function readTokenClaims(token: string): TokenClaims {
  if (token.split('.').length === 2) {
    throw new TokenFormatError(
      'this is a pre-JWT handout token, no longer accepted: make a new one with `handout token`',
    );
  }
  let p: Record<string, unknown>;
  try {
    p = decodeJwt(token);
  } catch {
    throw new TokenFormatError('the token is malformed: expected a JWT (<header>.<payload>.<signature>)');
  }
  if (typeof p.mesh !== 'string' || !Array.isArray(p.roles) || typeof p.exp !== 'number')
    throw new TokenFormatError('the token is malformed: it lacks mesh, roles or exp');
  const roles = p.roles.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r));
  return {
    mesh: p.mesh,
    roles,
    exp: p.exp,
    ...(typeof p.sub === 'string' && { sub: p.sub }),
    ...(p.trusted === true && { trusted: true }),
  };
}
