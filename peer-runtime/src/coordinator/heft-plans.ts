/**
 * `time-optimized` on a mesh: the run's allocator follows a whole-DAG HEFT plan (scheduling/heft.ts `planHeft`,
 * strategies/time-optimized.ts), built when the run first allocates, from the tracker's peers (cores, speed,
 * needs) and the coordinator's network model (network-probe.ts). When the membership changes (a peer joins,
 * leaves, pauses, or changes its slots or speed) the plan is rebuilt for the functions not yet placed, with
 * their placed producers treated as already available: HEFT's plan for peers that are gone is worthless, and a
 * new peer is idle capacity the old plan cannot use. It is also rebuilt when the network model's version moves: a
 * link figure new or changed by more than 10% (the first latencies arrive as connections open, typically just
 * after the run starts; peer-to-peer figures as peers report the fetches they timed, network-probe.ts).
 */
import { type FunctionSpec, parseArgRef } from '../dag/types.js';
import { type AllocatorOptions, createAllocator } from '../scheduling/allocator.js';
import { planHeft } from '../scheduling/heft.js';
import type { Allocator, NetworkModel, PeerResources } from '../scheduling/types.js';

export interface PlanFollowerOptions {
  readonly functions: readonly FunctionSpec[];
  /** The mesh's peers now (the tracker's view). */
  readonly peers: () => readonly PeerResources[];
  readonly network: NetworkModel;
  /** Changes when the network model learned new figures (a new measurement); default: never. */
  readonly networkVersion?: () => number;
  /** Whether a function was already dispatched or ended (it needs no place in a new plan). */
  readonly placed: (functionId: string) => boolean;
  readonly allocatorOptions?: AllocatorOptions;
}

/** What a plan depends on: each unpaused peer's id, slots and speed. */
function membershipKey(peers: readonly PeerResources[]): string {
  return peers
    .filter((p) => !p.paused)
    .map((p) => `${p.peerId}:${p.cores}:${p.speed}`)
    .sort()
    .join('|');
}

/** A `time-optimized` allocator that follows a HEFT plan of its run and re-plans when the membership changes. */
export function createPlanFollower(options: PlanFollowerOptions): Allocator {
  let key: string | undefined;
  let inner: Allocator | undefined;
  const replan = (peers: readonly PeerResources[]): Allocator => {
    // Only what is still to place; inputs from functions already placed count as available at the start.
    const todo = options.functions.filter((f) => !options.placed(f.id));
    const ids = new Set(todo.map((f) => f.id));
    const specs = todo.map((f) => ({
      ...f,
      args: f.args.filter((a) => ids.has(parseArgRef(a).producer)),
    }));
    const plan = planHeft(specs, peers, options.network, {
      defaultEstimateMs: options.allocatorOptions?.defaultEstimateMs ?? 1000,
    });
    return createAllocator('time-optimized', { ...options.allocatorOptions, plan });
  };
  return {
    name: 'time-optimized',
    allocate(input) {
      const peers = options.peers();
      const now = `${membershipKey(peers)}#${options.networkVersion?.() ?? 0}`;
      if (inner === undefined || now !== key) {
        key = now;
        inner = replan(peers);
      }
      return inner.allocate(input);
    },
  };
}
