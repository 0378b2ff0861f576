/**
 * The retry rules every engine follows (the local engine and the coordinator): how many attempts a function gets
 * after failures of its own, and how long to wait between them. One place, so that a fix to retries is made once.
 */
import type { TaskError } from '../errors.js';

/**
 * Whether a function that failed for its own fault (`failures` so far, counting this one) gets another attempt:
 * up to `retries`, plus one extra attempt after a worker death, once per function (a supervisor's restart
 * intensity of 1; see docs/local-engine.md). `restarted` says the extra attempt was used;
 * returns whether to retry and whether this retry uses it.
 */
export function mayRetry(
  failures: number,
  retries: number,
  restarted: boolean,
  reason: TaskError['reason'],
): { retry: boolean; restart: boolean } {
  // A sandbox refusal is deterministic: another sandboxed peer would refuse it the same way.
  if (reason === 'sandbox') return { retry: false, restart: false };
  if (failures <= retries + (restarted ? 1 : 0)) return { retry: true, restart: false };
  if (reason === 'worker-died' && !restarted) return { retry: true, restart: true };
  return { retry: false, restart: false };
}

/** Delay before the retry following `failures` failures: base · 2^(failures-1), at most max. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}
