/**
 * Token verification through jose: HS256 against a set of secrets chosen by `kid` (rotation: accept the old and
 * the new key for a while), and optionally EdDSA / RS256 / ES256 against a JWKS URL (an identity provider's keys).
 * Every failure is a TokenError whose `reason` the server turns into a refusal.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import {
  checkPayload,
  checkTokenText,
  type HmacKey,
  keyIdOf,
  secretBytes,
  TokenError,
  type TokenPayload,
} from './token.js';

/** The asymmetric algorithms accepted from a JWKS; `none` and anything else are refused. */
export const JWKS_ALGORITHMS = ['EdDSA', 'RS256', 'ES256'] as const;

export interface TokenVerifierOptions {
  /**
   * HS256 keys accepted, by `kid`. The first is the default for a token without `kid`. A bare string is a secret
   * under its derived kid (`keyIdOf`). At least one key or a `jwksUrl` is needed.
   */
  readonly keys?: readonly (HmacKey | string)[];
  /** An identity provider's JWKS (e.g. `https://idp.example/.well-known/jwks.json`). Default: none. */
  readonly jwksUrl?: string;
  /** When set, the `iss` claim must equal it. Default: not checked. */
  readonly issuer?: string;
  /** When set, the `aud` claim must contain it. Default: not checked. */
  readonly audience?: string;
}

export interface TokenVerifier {
  /** Verifies signature, claims and expiry (`now`, epoch ms); throws TokenError naming what is wrong. */
  verify(token: string, now?: number): Promise<TokenPayload>;
  /** The kids of the HS256 keys accepted, default first. */
  readonly kids: readonly string[];
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // A Map, not an object: a kid of `__proto__` or `constructor` must find nothing.
  const hmacKeys = new Map<string, Uint8Array>();
  for (const key of options.keys ?? []) {
    const { kid, secret } = typeof key === 'string' ? { kid: keyIdOf(key), secret: key } : key;
    if (hmacKeys.has(kid)) throw new TypeError(`two token keys have the kid '${kid}'`);
    hmacKeys.set(kid, secretBytes(secret));
  }
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : undefined;
  if (hmacKeys.size === 0 && !jwks)
    throw new TypeError('a token verifier needs at least one key or a jwksUrl');
  const defaultKid = hmacKeys.keys().next().value;
  const claimOptions = {
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
    requiredClaims: ['exp'],
  };

  async function verify(text: string, now: number = Date.now()): Promise<TokenPayload> {
    const token = checkTokenText(text);
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenError('malformed', 'the JWT header is not base64url JSON', 'header');
    }
    const currentDate = new Date(now);
    let payload: JWTPayload;
    try {
      if (header.alg === 'HS256') {
        const kid = header.kid ?? defaultKid;
        const key = kid === undefined ? undefined : hmacKeys.get(kid);
        if (!key) {
          throw new TokenError(
            'unknown-key',
            header.kid === undefined
              ? 'the token has no kid and this server has no HS256 key'
              : `no key with kid '${header.kid}' here (rotated out, or a token for another server)`,
            'header.kid',
          );
        }
        ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate, ...claimOptions }));
      } else if (jwks && (JWKS_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
        ({ payload } = await jwtVerify(token, jwks, {
          algorithms: [...JWKS_ALGORITHMS],
          currentDate,
          ...claimOptions,
        }));
      } else {
        const accepted = ['HS256', ...(jwks ? JWKS_ALGORITHMS : [])].join(', ');
        throw new TokenError(
          'malformed',
          `alg '${String(header.alg)}' is not accepted (${accepted})`,
          'header.alg',
        );
      }
    } catch (e) {
      throw asTokenError(e);
    }
    const claims = checkPayload(payload);
    return claims;
  }

  return { verify, kids: [...hmacKeys.keys()] };
}

/** jose's error classes → our reasons (checked by class, never by message). */
function asTokenError(e: unknown): TokenError {
  if (e instanceof TokenError) return e;
  if (e instanceof errors.JWTExpired) {
    const exp = typeof e.payload.exp === 'number' ? new Date(e.payload.exp * 1000).toISOString() : 'unknown';
    return new TokenError('expired', `the token expired at ${exp}`, 'payload.exp');
  }
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return new TokenError('bad-signature', 'the token signature does not match this server', 'signature');
  if (e instanceof errors.JWKSNoMatchingKey)
    return new TokenError('unknown-key', 'no key in the JWKS matches the token', 'header.kid');
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid)
    return new TokenError('keys-unavailable', `the JWKS could not be read (${e.code})`, 'header.kid');
  if (e instanceof errors.JWTClaimValidationFailed)
    return new TokenError('malformed', `claim '${e.claim}': ${e.message}`, `payload.${e.claim}`);
  if (e instanceof errors.JOSEError)
    return new TokenError('malformed', `the token is not a valid JWT (${e.code})`, 'token');
  // A fetch failure of the JWKS surfaces as a plain TypeError from fetch.
  if (e instanceof TypeError)
    return new TokenError('keys-unavailable', `the JWKS could not be fetched: ${e.message}`);
  throw e;
}
