/**
 * What result verification writes on a function's record (FunctionRecord.verification): how its value was
 * accepted (or why not), by which peers, and which lost. verify.ts calls these just before the function's
 * outcome, so the outcome's run event carries the field to a remote submitter (mesh/wire-events.ts).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import type { VerificationOutcome } from '../run/types.js';
import type { InputLoc } from './assignments.js';
import type { Dispatch } from './peer-loads.js';
import type { RunState } from './run-state.js';

/**
 * Most peers one list names. Replicas are at most 16 (verify-quorum.ts MAX_REPLICAS); a cache hit's holders can
 * be more (every quorum that accepted the hash), and a record names whom to ask, not every holder there is.
 */
export const MAX_NAMED_PEERS = 16;

/** Records `outcome` for function `i` of `run` under its policy; `digest` is hex (`none:…` is left out). */
export function markVerification(
  run: RunState,
  i: number,
  outcome: VerificationOutcome,
  agreed: readonly string[],
  disagreed: readonly string[],
  digest?: string,
): void {
  const policy = run.verifyOf(i);
  if (!policy) return;
  const known = digest !== undefined && /^[0-9a-f]{64}$/.test(digest);
  run.run.markVerification(run.id(i), {
    outcome,
    replicas: policy.replicas,
    quorum: policy.quorum,
    agreed: [...new Set(agreed)].slice(0, MAX_NAMED_PEERS),
    disagreed: [...new Set(disagreed)].slice(0, MAX_NAMED_PEERS),
    ...(known && { digest }),
  });
}

/**
 * A cancelled replica's answer came after the quorum and lost: its attempt (`d`'s history entry) now says what it
 * answered, the record names its peer too, and an `agreed` outcome becomes `disputed`. Both are sent on to a
 * remote submitter (a `task:attempt` event carrying the revised verification: mesh/wire-events.ts), whose
 * records had the outcome already.
 */
export function markLateDisagreement(run: RunState, i: number, d: Dispatch, error: string): void {
  const id = run.id(i);
  const v = run.run.record(id).verification;
  if (v && !v.disagreed.includes(d.peer) && v.disagreed.length < MAX_NAMED_PEERS)
    run.run.markVerification(id, {
      ...v,
      outcome: v.outcome === 'agreed' ? 'disputed' : v.outcome,
      disagreed: [...v.disagreed, d.peer],
    });
  if (!d.entry) return;
  d.entry.error = error;
  const revised = run.run.record(id).verification;
  if (revised) run.run.noteRevisedAttempt(id, d.entry, revised);
}

/** Where an accepted result is: its agreeing holders (or inline bytes) and the digest fetchers check against. */
export function acceptedLocationOf(
  run: RunState,
  i: number,
  size: number,
  holders: string[],
  inline: Uint8Array | undefined,
  digest: string | undefined,
): InputLoc {
  // The accepted digest travels with the location (fetchers check bytes against it; receipts carry it).
  const known = digest !== undefined && !digest.startsWith('none:');
  return {
    hash: run.hashes[i]!,
    size,
    holders,
    ...(inline && { inline }),
    ...(known && { digest: hexToBytes(digest) }),
  };
}

/** A digest as messages name it: its first 12 hex digits, or that the peer reported none. */
export function shortDigest(digest: string): string {
  return digest.startsWith('none:') ? 'none reported' : digest.slice(0, 12);
}
