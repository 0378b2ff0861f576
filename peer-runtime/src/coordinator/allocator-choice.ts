/**
 * The allocator a run uses, by strategy name: one of the coordinator's custom strategies, a HEFT plan follower for
 * `time-optimized` (heft-plans.ts), or a built-in strategy; an unknown name is refused naming the known ones.
 */
import type { FunctionSpec } from '../dag/types.js';
import { HandoutError } from '../errors.js';
import { createAllocator, STRATEGY_NAMES, type StrategyName } from '../scheduling/allocator.js';
import type { Allocator, ResourceTracker } from '../scheduling/types.js';
import { createPlanFollower } from './heft-plans.js';
import type { NetworkProbe } from './network-probe.js';
import type { RunState } from './run-state.js';
import type { CoordinatorOptions } from './types.js';

export interface AllocatorChoice {
  readonly options: Pick<CoordinatorOptions, 'strategies' | 'allocatorOptions' | 'network'>;
  readonly tracker: ResourceTracker;
  readonly probe: NetworkProbe;
}

export function chooseAllocator(
  { options, tracker, probe }: AllocatorChoice,
  name: string,
  functions: readonly FunctionSpec[],
  state: () => RunState,
): Allocator {
  const custom = options.strategies?.[name];
  if (custom) return createAllocator(custom, options.allocatorOptions);
  if (name === 'time-optimized' && options.allocatorOptions?.plan === undefined) {
    // Follow a whole-DAG HEFT plan, rebuilt when the membership changes (heft-plans.ts).
    return createPlanFollower({
      functions,
      peers: () => tracker.peers(),
      network: options.network ?? probe.model,
      ...(options.network === undefined && { networkVersion: () => probe.version }),
      placed: (id) => {
        const s = state();
        const i = s.index.get(id);
        return i === undefined || s.attempt[i]! > 0 || s.run.isEnded(id);
      },
      ...(options.allocatorOptions && { allocatorOptions: options.allocatorOptions }),
    });
  }
  if ((STRATEGY_NAMES as readonly string[]).includes(name)) {
    return createAllocator(name as StrategyName, options.allocatorOptions);
  }
  const known = [...STRATEGY_NAMES, ...Object.keys(options.strategies ?? {})];
  throw new HandoutError(
    `unknown allocation strategy '${name}' (this coordinator knows ${known.join(', ')})`,
  );
}
