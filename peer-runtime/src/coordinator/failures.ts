/**
 * The failure rules of the coordinator, as small pure functions:
 * - which failures count against a function's `retries` (its own: threw, timeout, worker-died) and which do not
 *   (not its fault: a peer lost, an input lost, work handed back by a pausing or draining peer — those are capped
 *   separately by `maxLostAttempts` so a function that kills every peer it touches still ends);
 * - (how many attempts a function gets and the backoff between them are run/retry-policy.ts's, shared with runLocal);
 * - the final error, which lists every attempt's peer and error (what Ray and Dask users most miss);
 * - which in-flight functions are stragglers worth duplicating.
 */

import { TaskError } from '../errors.js';
import type { FetchedInput } from '../protocol/messages.js';
import type { FunctionRecord } from '../run/types.js';
import type { Dispatch } from './peer-loads.js';

export type FailureKind = 'own' | 'lost';

export function failureKind(reason: TaskError['reason']): FailureKind {
  return OWN_FAILURES.has(reason) ? 'own' : 'lost';
}

/** The function's own failures (its code, its time, its memory, what its code tried in the sandbox). */
const OWN_FAILURES: ReadonlySet<TaskError['reason']> = new Set([
  'threw',
  'sandbox',
  'timeout',
  'out-of-memory',
  'worker-died',
]);

/** The error that fails a function for good, naming each attempt's peer and error when there were several. */
export function finalError(record: FunctionRecord, last: TaskError): TaskError {
  const attempts = record.history.filter((h) => h.error !== undefined);
  if (attempts.length <= 1) return last;
  const list = attempts.map((h) => `attempt ${h.attempt} on '${h.peer}': ${h.error}`).join('; ');
  return new TaskError(
    last.functionId,
    last.attempt,
    last.reason,
    `${last.originalMessage} (every attempt: ${list})`,
    last.originalStack,
    last.peerId,
  );
}

/**
 * Closes a dispatch's history entry (once). Closures the run's own events do not describe (a copy or recompute,
 * a failed or cancelled copy, the winner when another copy ran) are told to the run as `task:attempt`, so remote
 * submitters see them too; `raced` says another copy of the function was in flight.
 */
/** How an attempt's links connected: the coordinator's to the peer, and the peer's to the holders it fetched from. */
export interface AttemptLinks {
  readonly link?: string;
  readonly fetchedFrom?: readonly FetchedInput[];
}

export function closeEntry(
  d: Dispatch,
  at: number,
  error?: string,
  raced = false,
  links: AttemptLinks = {},
): void {
  const e = d.entry;
  if (!e) return;
  // Links first: a success has closed its entry already (markSucceeded stamps endedAt).
  if (links.link !== undefined) e.link = links.link;
  if (links.fetchedFrom !== undefined) e.fetchedFrom = links.fetchedFrom;
  // An attempt that fetched inputs is sent on as well, so remote submitters see how its links connected.
  if (e.endedAt !== undefined) {
    if (links.fetchedFrom !== undefined) d.run.run.noteAttempt(d.run.id(d.index), e);
    return;
  }
  e.endedAt = at;
  if (error !== undefined) e.error = error;
  const noteworthy =
    d.recompute || d.duplicate || error !== undefined || raced || links.fetchedFrom !== undefined;
  if (noteworthy) d.run.run.noteAttempt(d.run.id(d.index), e);
}

export interface StragglerOptions {
  /** A function is a straggler past `factor` × its estimate (`cost.estimateMs` / peer speed). Default 3. */
  readonly factor?: number;
  /** Never duplicate before this long. Default 1000 ms. */
  readonly minMs?: number;
  /** How often to look. Default 500 ms. */
  readonly checkMs?: number;
}

/** In-flight functions far past their estimate with no duplicate yet. Functions without an estimate are never stragglers. */
export function findStragglers(
  inflight: Iterable<readonly Dispatch[]>,
  speedOf: (peerId: string) => number,
  now: number,
  options: StragglerOptions,
): Dispatch[] {
  const factor = options.factor ?? 3;
  const minMs = options.minMs ?? 1000;
  const out: Dispatch[] = [];
  for (const list of inflight) {
    if (list.length !== 1) continue;
    const d = list[0]!;
    const estimate = d.run.specs[d.index]!.cost?.estimateMs;
    if (estimate === undefined || d.recompute) continue;
    const expected = estimate / Math.max(speedOf(d.peer), 1e-6);
    if (now - d.at > Math.max(minMs, factor * expected)) out.push(d);
  }
  return out;
}
