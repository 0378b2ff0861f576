/**
 * What a peer says about the code it runs. A peer that trusts code (`trustCode: true`, `handout peer
 * --trust-code`) runs functions with its workers' full powers; it advertises the tag `trusted-code` so that a
 * DAG whose functions need those powers pins them there (`node: { tags: ['trusted-code'] }`) and they never
 * land on a sandboxed peer. The tag is the peer's claim about itself: only the option sets it, so a sandboxed
 * peer cannot advertise it by accident.
 */
import { CapabilityError } from './capabilities.js';

export const TRUSTED_CODE_TAG = 'trusted-code';

/** Said loudly (logger, and stderr from the CLI) when a peer starts with `trustCode`. */
export const TRUST_CODE_WARNING =
  'this peer runs function code with FULL POWERS (trustCode / --trust-code): any submitter with a submit ' +
  "token can read this machine's files and environment, start processes and open connections. Use it only " +
  `on a private mesh whose submitters you trust. It advertises the tag '${TRUSTED_CODE_TAG}'.`;

/** The tags to advertise: the operator's, plus `trusted-code` when the peer trusts code. */
export function tagsForCodeTrust(tags: readonly string[] | undefined, trustCode: boolean): string[] {
  const own = [...(tags ?? [])];
  if (own.includes(TRUSTED_CODE_TAG) && !trustCode) {
    throw new CapabilityError(
      'tags',
      `tag '${TRUSTED_CODE_TAG}' is advertised by peers that trust code (trustCode: true), not set by hand`,
    );
  }
  return trustCode && !own.includes(TRUSTED_CODE_TAG) ? [...own, TRUSTED_CODE_TAG] : own;
}
