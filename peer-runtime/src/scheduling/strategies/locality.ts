/**
 * `locality`: the peer that already holds the most input bytes, so the fewest bytes move. Functions with the
 * biggest inputs pick first. When no candidate holds any input, or several hold the same amount, load balance
 * decides among them.
 */
import type { Candidate, ReadyFunction, Strategy } from '../types.js';
import { leastLoaded } from './load-balanced.js';

const inputBytes = (fn: ReadyFunction): number => (fn.inputs ?? []).reduce((sum, i) => sum + i.bytes, 0);

export function locality(): Strategy {
  return {
    name: 'locality',
    order: (functions) => [...functions].sort((a, b) => inputBytes(b) - inputBytes(a)),
    pick(_fn, candidates) {
      let most = 0;
      for (const c of candidates) most = Math.max(most, c.heldBytes);
      const holders: Candidate[] =
        most > 0 ? candidates.filter((c) => c.heldBytes === most) : [...candidates];
      return leastLoaded(holders)?.peer.peerId;
    },
  };
}
