/**
 * Admission of a connection: the handshake's shape, the protocol version, the token (signature, expiry, mesh,
 * roles, `sub` for coordinators) and the peer id binding. Whether the id is free is the registry's call.
 */
import {
  type Handshake,
  type Refusal,
  type RefusalReason,
  type Role,
  SIGNALING_PROTOCOL_VERSION,
  TokenError,
  type TokenPayload,
  type TokenVerifier,
  validateHandshake,
} from '@handout/peer-runtime/signaling';

export interface Admission {
  readonly handshake: Handshake;
  readonly token: TokenPayload;
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** The id asked for or bound by the token's `sub`; undefined: the server picks one. */
  readonly peerId: string | undefined;
}

export interface AuthOptions {
  readonly verifier: TokenVerifier;
  /** When set, only these meshes may be joined. */
  readonly meshes?: readonly string[];
  readonly now: () => number;
}

export type AdmissionResult = { ok: true; admission: Admission } | { ok: false; refusal: Refusal };

export function refusal(reason: RefusalReason, message: string, field?: string): Refusal {
  return field ? { reason, message, field } : { reason, message };
}

const refuse = (reason: RefusalReason, message: string, field?: string): AdmissionResult => ({
  ok: false,
  refusal: refusal(reason, message, field),
});

const TOKEN_REASONS: Record<TokenError['reason'], RefusalReason> = {
  malformed: 'token-malformed',
  'bad-signature': 'token-bad-signature',
  expired: 'token-expired',
  outdated: 'token-outdated',
  'unknown-key': 'token-unknown-key',
  'keys-unavailable': 'token-keys-unavailable',
  'unbound-coordinator': 'coordinate-unbound',
};

/** Verifies a token and maps a TokenError to the refusal naming it (shared by admission and `token:renew`). */
export async function checkToken(
  token: string,
  options: AuthOptions,
): Promise<{ ok: true; token: TokenPayload } | { ok: false; refusal: Refusal }> {
  try {
    return { ok: true, token: await options.verifier.verify(token, options.now()) };
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    const field = e.field === 'token' || e.field === undefined ? 'auth.token' : `token.${e.field}`;
    return { ok: false, refusal: refusal(TOKEN_REASONS[e.reason], e.message, field) };
  }
}

export async function admit(auth: unknown, options: AuthOptions): Promise<AdmissionResult> {
  const raw = (typeof auth === 'object' && auth !== null ? auth : {}) as Record<string, unknown>;
  // Answer the most useful question first: a client without a token hears that, not a list of shape errors.
  if (raw.token === undefined || raw.token === '') {
    return refuse('token-missing', 'no token in the handshake (auth.token)', 'auth.token');
  }
  if (raw.version !== SIGNALING_PROTOCOL_VERSION) {
    return refuse(
      'version-mismatch',
      `this server speaks signaling protocol ${SIGNALING_PROTOCOL_VERSION}, the client ${String(raw.version)}`,
      'auth.version',
    );
  }
  const checked = validateHandshake(auth);
  if (!checked.ok) return refuse('bad-handshake', checked.error.message, checked.error.field);
  const handshake = checked.value;

  const verified = await checkToken(handshake.token, options);
  if (!verified.ok) return verified;
  const { token } = verified;

  if (handshake.mesh !== undefined && handshake.mesh !== token.mesh) {
    return refuse(
      'wrong-mesh',
      `the token is for mesh '${token.mesh}', not '${handshake.mesh}'`,
      'auth.mesh',
    );
  }
  if (options.meshes && !options.meshes.includes(token.mesh)) {
    return refuse('wrong-mesh', `mesh '${token.mesh}' is not served here`, 'token.payload.mesh');
  }
  const roles = handshake.roles ?? token.roles;
  const missing = roles.filter((r) => !token.roles.includes(r));
  if (missing.length > 0) {
    return refuse(
      'role-not-granted',
      `the token does not grant ${missing.map((r) => `'${r}'`).join(', ')}`,
      'auth.roles',
    );
  }
  if (token.sub !== undefined && handshake.peerId !== undefined && handshake.peerId !== token.sub) {
    return refuse(
      'peer-id-mismatch',
      `the token is bound to peer '${token.sub}', not '${handshake.peerId}'`,
      'auth.peerId',
    );
  }
  return {
    ok: true,
    admission: { handshake, token, mesh: token.mesh, roles, peerId: handshake.peerId ?? token.sub },
  };
}
