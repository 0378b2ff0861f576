/**
 * "A function that no current peer can satisfy waits with a visible reason and fails after a configurable time,
 * naming the unmet need": the bookkeeping half of that rule, pure (the coordinator passes the clock in and turns
 * each expiry into a TaskError with reason 'unsatisfiable'). The wait restarts whenever the function becomes
 * satisfiable again (a matching peer joined, even if it is busy), so only a continuous lack of peers expires it.
 */
import type { Allocation } from './types.js';

export interface UnsatisfiableWatchOptions {
  /** How long a function may stay unsatisfiable before it fails. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

export interface UnsatisfiableExpiry {
  readonly functionId: string;
  readonly unmet: string;
  readonly waitedMs: number;
  /** `function 'f' waited 30000 ms for a peer offering gpu`. */
  readonly message: string;
}

export interface UnsatisfiableWatch {
  /** Feed every allocation result; returns the functions whose wait expired (each reported once). */
  observe(allocation: Allocation, nowMs: number): UnsatisfiableExpiry[];
  /** Stop watching a function (cancelled, finished elsewhere). */
  forget(functionId: string): void;
  /** Functions currently unsatisfiable, with the need and since when (for dashboards and `task:waiting`). */
  pending(): ReadonlyMap<string, { readonly unmet: string; readonly sinceMs: number }>;
}

/** `gpu` → `a peer offering gpu`; a need that already names the peer (`a contributing peer (none connected)`) as is. */
function waitedFor(unmet: string): string {
  return /^an? /.test(unmet) ? unmet : `a peer offering ${unmet}`;
}

export function createUnsatisfiableWatch(options: UnsatisfiableWatchOptions = {}): UnsatisfiableWatch {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const since = new Map<string, { unmet: string; sinceMs: number }>();
  return {
    observe(allocation, nowMs) {
      if (since.size > 0) for (const a of allocation.assignments) since.delete(a.functionId);
      const expired: UnsatisfiableExpiry[] = [];
      for (const w of allocation.waiting) {
        if (w.reason !== 'unsatisfiable') {
          since.delete(w.functionId);
          continue;
        }
        const unmet = w.unmet ?? 'a matching peer';
        const entry = since.get(w.functionId) ?? { unmet, sinceMs: nowMs };
        entry.unmet = unmet; // report the latest need: the mesh may have changed which need is missing
        since.set(w.functionId, entry);
        const waitedMs = nowMs - entry.sinceMs;
        if (waitedMs >= timeoutMs) {
          since.delete(w.functionId);
          expired.push({
            functionId: w.functionId,
            unmet,
            waitedMs,
            message: `function '${w.functionId}' waited ${waitedMs} ms for ${waitedFor(unmet)}`,
          });
        }
      }
      return expired;
    },
    forget(functionId) {
      since.delete(functionId);
    },
    pending() {
      return since;
    },
  };
}
