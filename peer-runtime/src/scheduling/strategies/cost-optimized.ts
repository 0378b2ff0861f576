/**
 * `cost-optimized`: the cheapest peer that meets the function's needs. The price of running function f on peer p:
 *
 *   cost(f, p) = costRate(p) × (transferMs(f, p) + estimateMs(f) / speed(p)) / 1000  +  transferCostPerGB × movedBytes(f, p) / 1e9
 *
 * `costRate` is the price of one slot for one second, so a slow cheap peer can cost more than a fast dear one, and
 * the slot is billed while it fetches inputs (the time its worker is held). `movedBytes` are the input bytes the
 * peer does not hold; `transferCostPerGB` prices the traffic itself (egress fees), default 0. Ties go to the
 * earlier finish, then to the less loaded peer. Functions with the largest estimates pick first, so the expensive
 * work gets the cheap slots.
 */
import type { Candidate, ReadyFunction, Strategy } from '../types.js';

export interface CostOptimizedOptions {
  /** Price of moving one GB between peers, in the same unit as `costRate`. Default 0. */
  readonly transferCostPerGB?: number;
}

export function costOf(c: Candidate, transferCostPerGB = 0): number {
  return (c.peer.costRate * (c.transferMs + c.runMs)) / 1000 + (transferCostPerGB * c.moveBytes) / 1e9;
}

const estimate = (fn: ReadyFunction): number => fn.estimateMs ?? fn.spec.cost?.estimateMs ?? 0;

export function costOptimized(options: CostOptimizedOptions = {}): Strategy {
  const perGB = options.transferCostPerGB ?? 0;
  return {
    name: 'cost-optimized',
    order: (functions) => [...functions].sort((a, b) => estimate(b) - estimate(a)),
    pick(_fn, candidates) {
      let best: Candidate | undefined;
      let bestCost = Number.POSITIVE_INFINITY;
      for (const c of candidates) {
        const cost = costOf(c, perGB);
        const better =
          cost < bestCost - 1e-12 ||
          (Math.abs(cost - bestCost) <= 1e-12 &&
            best !== undefined &&
            (c.transferMs + c.runMs < best.transferMs + best.runMs ||
              (c.transferMs + c.runMs === best.transferMs + best.runMs && c.load < best.load)));
        if (better) {
          best = c;
          bestCost = cost;
        }
      }
      return best?.peer.peerId;
    },
  };
}
