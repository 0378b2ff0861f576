/**
 * `token:renew`: a new token for the same session. It must verify, be for the same mesh and subject, grant every
 * role the session holds, and expire later than the current one. `trusted` may change (announced to the mesh).
 */
import type { EventError } from '@handout/peer-runtime/signaling';
import { type AuthOptions, checkToken } from './auth.js';
import type { PeerRecord, RecordPatch } from './registry-types.js';

export type Renewal = { ok: true; patch: RecordPatch } | { ok: false; error: EventError };

export async function renewSession(
  options: AuthOptions,
  record: PeerRecord,
  token: string,
): Promise<Renewal> {
  const fail = (message: string, field = 'token'): Renewal => ({
    ok: false,
    error: { code: 'token-rejected', event: 'token:renew', message, field, peerId: record.peerId },
  });
  let verified: Awaited<ReturnType<typeof checkToken>>;
  try {
    verified = await checkToken(token, options);
  } catch {
    // Not a TokenError (a JWKS fetch that threw, say): the peer hears that its token could not be checked.
    return fail('the token could not be checked');
  }
  if (!verified.ok)
    return fail(`${verified.refusal.reason}: ${verified.refusal.message}`, verified.refusal.field);
  const t = verified.token;
  if (t.mesh !== record.mesh)
    return fail(`the token is for mesh '${t.mesh}', not '${record.mesh}'`, 'token.payload.mesh');
  if ((t.sub ?? null) !== record.subject) {
    return fail(
      `the token's subject differs from the session's ('${record.subject ?? 'none'}')`,
      'token.payload.sub',
    );
  }
  const missing = record.roles.filter((r) => !t.roles.includes(r));
  if (missing.length > 0)
    return fail(`the token does not grant ${missing.join(', ')}`, 'token.payload.roles');
  if (t.exp <= record.tokenExp)
    return fail('the token expires no later than the current one', 'token.payload.exp');
  return { ok: true, patch: { tokenExp: t.exp, trusted: t.trusted === true } };
}
