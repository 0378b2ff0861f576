/**
 * Which live peers cannot fetch a ready function's inputs (every holder of one unreachable from them, as peers
 * reported: reachability.ts). The dispatcher keeps such functions off those peers, and fails one no allowed peer
 * can fetch for (waits.ts).
 */
import { row } from '../dag/graph.js';
import type { InputLoc } from './assignments.js';
import type { BlockedInput, Reachability } from './reachability.js';
import type { ReadyItem } from './ready-item.js';
import type { RunState } from './run-state.js';

/**
 * For each item, the live peers (`peers`) that cannot have one of its inputs, with the input. Empty (and cheap)
 * while no pair was ever reported.
 */
export function blockedPeers(
  reach: Reachability,
  peers: () => readonly string[],
  run: RunState,
  items: readonly ReadyItem[],
  located: ReadonlyMap<ReadyItem, InputLoc[]>,
): Map<ReadyItem, Map<string, BlockedInput>> {
  const out = new Map<ReadyItem, Map<string, BlockedInput>>();
  if (reach.size === 0) return out;
  const live = peers();
  for (const item of items) {
    const locs = located.get(item) ?? [];
    if (locs.length === 0) continue;
    const producers = row(run.producers, item.index);
    const inputs = locs.map((loc, k) => ({
      producer: run.id(producers[k]!),
      holders: loc.holders,
      inline: loc.inline !== undefined,
    }));
    for (const peer of live) {
      const b = reach.blockedBy(peer, inputs);
      if (!b) continue;
      let m = out.get(item);
      if (!m) {
        m = new Map();
        out.set(item, m);
      }
      m.set(peer, b);
    }
  }
  return out;
}
