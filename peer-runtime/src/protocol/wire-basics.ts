/**
 * Wire types that the message modules (messages.ts, run-event-messages.ts, submit-messages.ts) all use. They
 * live here, importing nothing, so those modules import this leaf rather than each other; messages.ts
 * re-exports them for everyone else.
 */

/**
 * A coordinator's grant to fetch one hash from one holder (mesh/fetch-grants.ts): `exp` in epoch seconds, `mac`
 * the HMAC the holder checks with its own fetch key against the authenticated fetcher's id.
 */
export interface FetchTicket {
  readonly exp: number;
  readonly mac: Uint8Array;
}

/** Why an attempt failed, as a peer reports it in `task:failed` and a run event carries it. */
export const TASK_FAILURE_REASONS = [
  'threw',
  'sandbox',
  'timeout',
  'out-of-memory',
  'worker-died',
  'cancelled',
  'input-lost',
] as const;
export type TaskFailureReason = (typeof TASK_FAILURE_REASONS)[number];
