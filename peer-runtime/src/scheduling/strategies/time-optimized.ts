/**
 * `time-optimized`: HEFT for a mesh where functions become ready one batch at a time.
 *
 * With a `plan` from `planHeft` (built once per DAG from estimates, peers' speeds and the network model), the
 * allocator follows it: batches go in planned start order, each function to its planned peer as soon as that
 * peer has room; while the planned peer is busy the function waits (reason `deferred`), because HEFT judged
 * that waiting beats a slower peer. When the planned peer is gone, paused or no longer meets the needs, the
 * function falls back to the earliest finish among the peers with room now.
 *
 * Without a plan, each batch goes by `priority` (e.g. an upward rank the coordinator computed) or, failing that,
 * the largest estimate first, and each function to the candidate with the earliest finish: transfer + run time.
 */

import type { HeftPlan, PlannedFunction } from '../heft.js';
import { capabilityUnmet, resourceRequestOf } from '../needs.js';
import type { Candidate, ReadyFunction, Strategy } from '../types.js';

export interface TimeOptimizedOptions {
  /** A whole-DAG HEFT plan to follow. Default: none (earliest finish per batch). */
  readonly plan?: HeftPlan;
  /**
   * Keep each peer's planned order: a ready function waits while a function planned earlier on its peer has not
   * started, so with exact estimates the schedule equals the plan (on the STG benchmark it closes most of the gap
   * between a dynamic follower and the plan). A function the coordinator never dispatches (served from a cache,
   * skipped after a failure) would block its peer for good, so the hold only lasts while some peer of the mesh
   * still runs something: an idle mesh cannot produce new ready functions, so nothing is worth waiting for.
   * Default true.
   */
  readonly strictPlanOrder?: boolean;
}

const estimate = (fn: ReadyFunction): number => fn.estimateMs ?? fn.spec.cost?.estimateMs ?? 0;

/** The candidate that finishes first (transfer + run), ties to the less loaded. */
export function earliestFinish(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    const finish = c.transferMs + c.runMs;
    const bestFinish = best === undefined ? Number.POSITIVE_INFINITY : best.transferMs + best.runMs;
    if (finish < bestFinish || (finish === bestFinish && best !== undefined && c.load < best.load)) best = c;
  }
  return best;
}

export function timeOptimized(options: TimeOptimizedOptions = {}): Strategy {
  const plan = options.plan;
  const started = new Set<string>();
  // Per peer, its planned functions by start, and how far the started prefix reaches (strict mode).
  const queues = new Map<string, { list: PlannedFunction[]; next: number }>();
  if (plan !== undefined) {
    for (const p of plan.placements.values()) {
      const q = queues.get(p.peerId) ?? { list: [], next: 0 };
      q.list.push(p);
      queues.set(p.peerId, q);
    }
    for (const q of queues.values()) q.list.sort((a, b) => a.startMs - b.startMs);
  }

  const blockedBy = (planned: PlannedFunction): string | undefined => {
    const q = queues.get(planned.peerId)!;
    while (q.next < q.list.length && started.has(q.list[q.next]!.functionId)) q.next++;
    const head = q.list[q.next];
    return head !== undefined && head.startMs < planned.startMs && head.functionId !== planned.functionId
      ? head.functionId
      : undefined;
  };

  return {
    name: 'time-optimized',
    order(functions) {
      const key = (fn: ReadyFunction): number =>
        plan?.placements.get(fn.spec.id)?.startMs ?? Number.POSITIVE_INFINITY;
      return [...functions].sort(
        (a, b) => key(a) - key(b) || (b.priority ?? 0) - (a.priority ?? 0) || estimate(b) - estimate(a),
      );
    },
    pick(fn, candidates, ctx) {
      const planned = plan?.placements.get(fn.spec.id);
      if (planned !== undefined) {
        if (options.strictPlanOrder !== false) {
          const before = blockedBy(planned);
          if (before !== undefined && ctx.peers.some((p) => p.running > 0))
            return { wait: `its planned peer '${planned.peerId}' first runs '${before}'` };
        }
        if (candidates.some((c) => c.peer.peerId === planned.peerId)) return planned.peerId;
        const peer = ctx.peers.find((p) => p.peerId === planned.peerId);
        if (
          peer !== undefined &&
          !peer.paused &&
          capabilityUnmet(peer, resourceRequestOf(fn.spec)) === undefined
        ) {
          return { wait: `its planned peer '${planned.peerId}' is busy` };
        }
      }
      return earliestFinish(candidates)?.peer.peerId;
    },
    assigned(assignment) {
      started.add(assignment.functionId);
    },
  };
}
