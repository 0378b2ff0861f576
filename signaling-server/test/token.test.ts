import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64urlDecode,
  base64urlEncode,
  createTokenVerifier,
  keyIdOf,
  parseTtl,
  ROLES,
  signToken,
  TokenError,
  type TokenPayload,
} from '@handout/peer-runtime/signaling';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

const secret = 'test-secret';
const future = Math.floor(Date.now() / 1000) + 3600;
const verifier = createTokenVerifier({ keys: [secret] });

async function failure(promise: Promise<unknown>): Promise<TokenError> {
  const e = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(TokenError);
  return e as TokenError;
}

const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const payloads: fc.Arbitrary<TokenPayload> = fc
  .record(
    {
      mesh: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
      roles: fc.subarray([...ROLES], { minLength: 1 }),
      exp: fc.integer({ min: future, max: 2 ** 40 }),
      sub: ids,
      trusted: fc.constant(true),
    },
    { requiredKeys: ['mesh', 'roles', 'exp'] },
  )
  // A coordinate token must name its peer.
  .map((p) => (p.roles.includes('coordinate') && p.sub === undefined ? { ...p, sub: 'coord' } : p));

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('tokens are standard JWTs', () => {
  it('a signed token verifies to its claims, and jose reads it as an HS256 JWT with our kid', async () => {
    await fc.assert(
      fc.asyncProperty(payloads, async (payload) => {
        const token = signToken(payload, secret);
        expect(await verifier.verify(token)).toEqual(payload);
        const { payload: claims, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
        expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: keyIdOf(secret) });
        expect(claims).toMatchObject({ mesh: payload.mesh, roles: payload.roles, exp: payload.exp });
      }),
      { numRuns: 50 },
    );
  });

  it('a token minted by another JWT library (jose) from a mesh owner backend is accepted', async () => {
    const token = await new SignJWT({ mesh: 'm', roles: ['contribute', 'coordinate'], trusted: true })
      .setProtectedHeader({ alg: 'HS256', kid: 'backend-2026' })
      .setSubject('c1')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('backend-secret'));
    const v = createTokenVerifier({ keys: [secret, { kid: 'backend-2026', secret: 'backend-secret' }] });
    expect(await v.verify(token)).toMatchObject({ mesh: 'm', sub: 'c1', trusted: true });
  });

  it('any change to a token fails verification', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(payloads, fc.nat(), fc.constantFrom(...alphabet), async (payload, at, char) => {
        const token = signToken(payload, secret);
        const i = at % token.length;
        fc.pre(token[i] !== char);
        // The last character of a base64url part may carry unused low bits: a change there can decode to the
        // same bytes. jose accepts such spellings, so only count changes that alter the decoded token.
        const tampered = token.slice(0, i) + char + token.slice(i + 1);
        const same = tampered.split('.').every((part, k) => {
          const a = base64urlDecode(part);
          const b = base64urlDecode(token.split('.')[k]!);
          return a !== undefined && b !== undefined && base64urlEncode(a) === base64urlEncode(b);
        });
        fc.pre(!same);
        await expect(verifier.verify(tampered)).rejects.toBeInstanceOf(TokenError);
      }),
      { numRuns: 300 },
    );
  });

  it('rotation: keys are chosen by kid; a token of a kid the server no longer has is unknown-key', async () => {
    const old = signToken({ mesh: 'm', roles: ['submit'], exp: future }, { kid: 'k1', secret: 'old' });
    const rotated = createTokenVerifier({
      keys: [
        { kid: 'k2', secret: 'new' },
        { kid: 'k1', secret: 'old' },
      ],
    });
    expect((await rotated.verify(old)).mesh).toBe('m');
    const after = createTokenVerifier({ keys: [{ kid: 'k2', secret: 'new' }] });
    expect(await failure(after.verify(old))).toMatchObject({ reason: 'unknown-key', field: 'header.kid' });
    // The kid chooses the key: the right kid with another secret is a bad signature, never a fallback.
    const forged = signToken({ mesh: 'm', roles: ['submit'], exp: future }, { kid: 'k2', secret: 'guess' });
    expect((await failure(after.verify(forged))).reason).toBe('bad-signature');
    // Kids are Map keys: a kid of `__proto__` finds nothing.
    const proto = signToken({ mesh: 'm', roles: ['submit'], exp: future }, { kid: '__proto__', secret: 'x' });
    expect((await failure(after.verify(proto))).reason).toBe('unknown-key');
  });

  it("alg 'none' and algorithms not configured are refused", async () => {
    const none = `${base64urlEncode(new TextEncoder().encode('{"alg":"none"}'))}.${base64urlEncode(
      new TextEncoder().encode(JSON.stringify({ mesh: 'm', roles: ['submit'], exp: future })),
    )}.`;
    expect(await failure(verifier.verify(none))).toMatchObject({ reason: 'malformed', field: 'header.alg' });
    const { privateKey } = await generateKeyPair('EdDSA');
    const ed = await new SignJWT({ mesh: 'm', roles: ['submit'] })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await failure(verifier.verify(ed))).field).toBe('header.alg');
  });

  it('EdDSA and RS256 tokens verify against an identity provider JWKS served over HTTP', async () => {
    const ed = await generateKeyPair('EdDSA');
    const rsa = await generateKeyPair('RS256');
    const jwks = {
      keys: [
        { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', alg: 'EdDSA' },
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
      ],
    };
    const idp = createServer((_, res) => res.end(JSON.stringify(jwks)));
    servers.push(idp);
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
    const v = createTokenVerifier({ jwksUrl: url, issuer: 'https://idp.test', audience: 'handout' });
    const mint = (alg: string, kid: string, key: CryptoKey, iss = 'https://idp.test') =>
      new SignJWT({ mesh: 'lab', roles: ['contribute'] })
        .setProtectedHeader({ alg, kid })
        .setIssuer(iss)
        .setAudience('handout')
        .setExpirationTime('5m')
        .sign(key);
    expect((await v.verify(await mint('EdDSA', 'ed-1', ed.privateKey))).mesh).toBe('lab');
    expect((await v.verify(await mint('RS256', 'rsa-1', rsa.privateKey))).mesh).toBe('lab');
    const other = await generateKeyPair('EdDSA');
    expect((await failure(v.verify(await mint('EdDSA', 'ed-1', other.privateKey)))).reason).toBe(
      'bad-signature',
    );
    expect((await failure(v.verify(await mint('EdDSA', 'ed-9', ed.privateKey)))).reason).toBe('unknown-key');
    expect(
      await failure(v.verify(await mint('EdDSA', 'ed-1', ed.privateKey, 'https://evil.test'))),
    ).toMatchObject({
      reason: 'malformed',
      field: 'payload.iss',
    });
  });

  it('a JWKS that cannot be fetched is keys-unavailable, not a crash', async () => {
    const v = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    const { privateKey } = await generateKeyPair('EdDSA');
    const token = await new SignJWT({ mesh: 'm', roles: ['submit'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'x' })
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await failure(v.verify(token))).reason).toBe('keys-unavailable');
  });

  it('a pre-JWT handout token is refused as outdated, saying how to get a new one', async () => {
    const old = 'eyJtZXNoIjoibSIsInJvbGVzIjpbInN1Ym1pdCJdLCJleHAiOjQwMDAwMDAwMDB9.c2lnbmF0dXJl';
    const error = await failure(verifier.verify(old));
    expect(error.reason).toBe('outdated');
    expect(error.message).toMatch(/handout token/);
  });

  it('a coordinate token without sub cannot be signed, nor verified when minted elsewhere', async () => {
    expect(() => signToken({ mesh: 'm', roles: ['coordinate'], exp: future }, secret)).toThrow(
      expect.objectContaining({ reason: 'unbound-coordinator', field: 'payload.sub' }),
    );
    const minted = await new SignJWT({ mesh: 'm', roles: ['coordinate'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await failure(verifier.verify(minted))).reason).toBe('unbound-coordinator');
  });

  it('an expired token says when it expired; before then it verifies', async () => {
    const token = signToken({ mesh: 'm', roles: ['submit'], exp: 1_000_000 }, secret, 999_000_000);
    const error = await failure(verifier.verify(token));
    expect(error).toMatchObject({ reason: 'expired', field: 'payload.exp' });
    expect(error.message).toContain('1970-01-12');
    expect((await verifier.verify(token, 999_999_000)).mesh).toBe('m');
  });

  it('a validly signed token of the wrong shape is malformed, naming the claim', async () => {
    const signed = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(future)
        .sign(new TextEncoder().encode(secret));
    expect((await failure(verifier.verify(await signed({ mesh: 1, roles: ['submit'] })))).field).toBe(
      'payload.mesh',
    );
    expect((await failure(verifier.verify(await signed({ mesh: 'm', roles: ['root'] })))).field).toBe(
      'payload.roles',
    );
    expect(
      (await failure(verifier.verify(await signed({ mesh: 'm', roles: ['submit'], trusted: 'yes' })))).field,
    ).toBe('payload.trusted');
    const noExp = await new SignJWT({ mesh: 'm', roles: ['submit'] })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    expect((await failure(verifier.verify(noExp))).field).toBe('payload.exp');
    expect(() => signToken({ mesh: 'm', roles: [], exp: future }, secret)).toThrow(/payload.roles/);
    expect(() => signToken({ mesh: 'a b', roles: ['submit'], exp: future }, secret)).toThrow(/payload.mesh/);
    expect(() => signToken({ mesh: 'm', roles: ['submit'], exp: 1.5 }, secret)).toThrow(/payload.exp/);
  });

  it('non-token strings are malformed', async () => {
    for (const t of ['', 'abc', 'a.b.c', 'a.b.c.d', 'x'.repeat(5000)]) {
      expect((await failure(verifier.verify(t))).reason).toBe('malformed');
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
