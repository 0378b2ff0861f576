/** The scheduling core: resource tracking, allocation strategies, HEFT planning and a simulator. Pure, no I/O. */

export {
  type AllocatorOptions,
  candidateFor,
  createAllocator,
  guardAllocator,
  STRATEGY_NAMES,
  type StrategyName,
  strategyAllocator,
} from './allocator.js';
export {
  type HeftOptions,
  type HeftPlan,
  type PlannedFunction,
  planHeft,
  type TaskGraphInput,
} from './heft.js';
export { capabilityUnmet, resourceRequestOf, SchedulingError, unmetAcross } from './needs.js';
export {
  createNetworkModel,
  type MutableNetworkModel,
  type NetworkModelOptions,
} from './network.js';
export { createResourceTracker, DEFAULT_CAPABILITIES } from './resource-tracker.js';
export {
  type SimulatedExecution,
  type SimulatedPeer,
  type SimulateOptions,
  type SimulationResult,
  simulate,
} from './simulate.js';
export { type CostOptimizedOptions, costOf, costOptimized } from './strategies/cost-optimized.js';
export { firstAvailable } from './strategies/first-available.js';
export { leastLoaded, loadBalanced } from './strategies/load-balanced.js';
export { locality } from './strategies/locality.js';
export { earliestFinish, type TimeOptimizedOptions, timeOptimized } from './strategies/time-optimized.js';
export type * from './types.js';
export {
  createUnsatisfiableWatch,
  type UnsatisfiableExpiry,
  type UnsatisfiableWatch,
  type UnsatisfiableWatchOptions,
} from './unsatisfiable-watch.js';
