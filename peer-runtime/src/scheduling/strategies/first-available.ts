/** `first-available`: the first peer (in the tracker's registration order) with room. Cheap and predictable. */
import type { Strategy } from '../types.js';

export function firstAvailable(): Strategy {
  return {
    name: 'first-available',
    pick: (_fn, candidates) => candidates[0]?.peer.peerId,
  };
}
