/**
 * `load-balanced`: the least loaded peer relative to its slots (used cpu / cores, counting this batch's earlier
 * assignments), so work spreads evenly. Ties go to the faster peer, then to registration order.
 */
import type { Candidate, Strategy } from '../types.js';

/** The least loaded candidate; shared with strategies that fall back to load balance. */
export function leastLoaded(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (best === undefined || c.load < best.load || (c.load === best.load && c.peer.speed > best.peer.speed))
      best = c;
  }
  return best;
}

export function loadBalanced(): Strategy {
  return {
    name: 'load-balanced',
    pick: (_fn, candidates) => leastLoaded(candidates)?.peer.peerId,
  };
}
