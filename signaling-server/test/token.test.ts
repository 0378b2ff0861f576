import { createHmac } from 'node:crypto';
import {
  base64urlDecode,
  base64urlEncode,
  parseTtl,
  ROLES,
  signToken,
  TokenError,
  type TokenPayload,
  verifyToken,
} from '@handout/peer-runtime/signaling';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const secret = 'test-secret';
const future = Math.floor(Date.now() / 1000) + 3600;

function failure(fn: () => unknown): TokenError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenError);
    return e as TokenError;
  }
  throw new Error('expected a TokenError');
}

const payloads = fc.record(
  {
    mesh: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
    roles: fc.subarray([...ROLES], { minLength: 1 }),
    exp: fc.integer({ min: future, max: 2 ** 40 }),
    sub: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  },
  { requiredKeys: ['mesh', 'roles', 'exp'] },
);

describe('tokens', () => {
  it('a signed token verifies to its payload', () => {
    fc.assert(
      fc.property(payloads, (payload: TokenPayload) => {
        expect(verifyToken(signToken(payload, secret), secret)).toEqual(payload);
      }),
    );
  });

  it('any change to a token, in its payload or its signature, fails verification', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    fc.assert(
      fc.property(payloads, fc.nat(), fc.constantFrom(...alphabet), (payload, at, char) => {
        const token = signToken(payload, secret);
        const i = at % token.length;
        fc.pre(token[i] !== char);
        const tampered = token.slice(0, i) + char + token.slice(i + 1);
        expect(() => verifyToken(tampered, secret)).toThrow(TokenError);
      }),
      { numRuns: 500 },
    );
  });

  it('a truncated or extended token fails verification', () => {
    fc.assert(
      fc.property(payloads, fc.integer({ min: 1, max: 20 }), (payload, n) => {
        const token = signToken(payload, secret);
        expect(() => verifyToken(token.slice(0, -n), secret)).toThrow(TokenError);
        expect(() => verifyToken(token + 'A'.repeat(n), secret)).toThrow(TokenError);
      }),
    );
  });

  it('a token signed with another secret is a bad signature', () => {
    const token = signToken({ mesh: 'm', roles: ['submit'], exp: future }, 'other');
    expect(failure(() => verifyToken(token, secret))).toMatchObject({
      reason: 'bad-signature',
      field: 'signature',
    });
  });

  it('an expired token says when it expired', () => {
    const token = signToken({ mesh: 'm', roles: ['submit'], exp: 1_000_000 }, secret);
    const error = failure(() => verifyToken(token, secret));
    expect(error).toMatchObject({ reason: 'expired', field: 'payload.exp' });
    expect(error.message).toContain('1970-01-12');
    expect(verifyToken(token, secret, 999_999_000).mesh).toBe('m');
  });

  it('a validly signed payload of the wrong shape is malformed, naming the field', () => {
    // Signed with Node's own HMAC: also shows the token format is plain HMAC-SHA256 over the first part.
    const signed = (body: object) => {
      const b = Buffer.from(JSON.stringify(body)).toString('base64url');
      return `${b}.${createHmac('sha256', secret).update(b).digest('base64url')}`;
    };
    expect(verifyToken(signed({ mesh: 'm', roles: ['submit'], exp: future }), secret).mesh).toBe('m');
    expect(
      failure(() => verifyToken(signed({ mesh: 1, roles: ['submit'], exp: future }), secret)),
    ).toMatchObject({
      reason: 'malformed',
      field: 'payload.mesh',
    });
    expect(
      failure(() => verifyToken(signed({ mesh: 'm', roles: ['root'], exp: future }), secret)).field,
    ).toBe('payload.roles');
    expect(failure(() => verifyToken(signed({ mesh: 'm', roles: ['submit'] }), secret)).field).toBe(
      'payload.exp',
    );
    expect(
      failure(() => verifyToken(signed({ mesh: 'm', roles: ['submit'], exp: future, sub: '' }), secret))
        .field,
    ).toBe('payload.sub');
    // Signing the wrong shape is refused outright.
    expect(() => signToken({ mesh: 'm', roles: [], exp: future }, secret)).toThrow(/payload.roles/);
    expect(() => signToken({ mesh: 'a b', roles: ['submit'], exp: future }, secret)).toThrow(/payload.mesh/);
    expect(() => signToken({ mesh: 'm', roles: ['submit'], exp: 1.5 }, secret)).toThrow(/payload.exp/);
  });

  it('non-token strings are malformed', () => {
    for (const t of ['', 'abc', 'a.b.c', 'a.!!!', 'x'.repeat(5000)]) {
      expect(failure(() => verifyToken(t, secret)).reason).toBe('malformed');
    }
  });

  it('base64url round-trips any bytes and rejects non-canonical spellings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(base64urlDecode(base64urlEncode(bytes))).toEqual(bytes);
      }),
    );
    expect(base64urlDecode('AB')).toBeUndefined(); // 'AA' is the canonical spelling of [0]
    expect(base64urlDecode('AA')).toEqual(new Uint8Array([0]));
    expect(base64urlDecode('A+==')).toBeUndefined();
  });

  it('durations for --ttl parse with units', () => {
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('15m')).toBe(900);
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('7d')).toBe(604800);
    expect(() => parseTtl('1 week')).toThrow(/invalid duration/);
  });
});
