/**
 * The allocator core: every strategy, built-in or custom, places functions through `strategyAllocator`, which
 * offers it only candidates that meet the function's pin and needs and have room (counting earlier assignments of
 * the same batch). A whole custom `Allocator` is wrapped by `guardAllocator`, which replays its assignments through
 * the same filter. Either way pins and needs are always honoured.
 */
import { capabilityUnmet, peerUnmet, resourceRequestOf, unmetAcross } from './needs.js';
import { createNetworkModel } from './network.js';
import { type CostOptimizedOptions, costOptimized } from './strategies/cost-optimized.js';
import { firstAvailable } from './strategies/first-available.js';
import { loadBalanced } from './strategies/load-balanced.js';
import { locality } from './strategies/locality.js';
import { type TimeOptimizedOptions, timeOptimized } from './strategies/time-optimized.js';
import type {
  Allocation,
  AllocationInput,
  Allocator,
  Candidate,
  NetworkModel,
  PeerView,
  ReadyFunction,
  ResourceRequest,
  Strategy,
  StrategyContext,
  WaitingFunction,
} from './types.js';

export interface AllocatorOptions extends CostOptimizedOptions, TimeOptimizedOptions {
  /** Run time on a speed-1 peer for functions without `cost.estimateMs`. Default 1000 ms. */
  readonly defaultEstimateMs?: number;
}

export type StrategyName =
  | 'first-available'
  | 'load-balanced'
  | 'cost-optimized'
  | 'time-optimized'
  | 'locality';

export const STRATEGY_NAMES: readonly StrategyName[] = [
  'first-available',
  'load-balanced',
  'cost-optimized',
  'time-optimized',
  'locality',
];

/** A built-in strategy by name, a custom Strategy, or a whole custom Allocator (guarded). */
export function createAllocator(
  strategy: StrategyName | Strategy | Allocator,
  options: AllocatorOptions = {},
): Allocator {
  if (typeof strategy === 'object') {
    return 'pick' in strategy ? strategyAllocator(strategy, options) : guardAllocator(strategy);
  }
  switch (strategy) {
    case 'first-available':
      return strategyAllocator(firstAvailable(), options);
    case 'load-balanced':
      return strategyAllocator(loadBalanced(), options);
    case 'cost-optimized':
      return strategyAllocator(costOptimized(options), options);
    case 'time-optimized':
      return strategyAllocator(timeOptimized(options), options);
    case 'locality':
      return strategyAllocator(locality(), options);
    default:
      throw new TypeError(
        `unknown allocation strategy '${String(strategy)}' (expected one of ${STRATEGY_NAMES.join(', ')})`,
      );
  }
}

/** Batch-local view of the peers: usage grows as the batch assigns, so later picks see earlier ones. */
class BatchState {
  readonly views: PeerView[];
  private readonly index = new Map<string, number>();

  constructor(peers: readonly PeerView[]) {
    this.views = peers.map((p) => ({ ...p, used: { ...p.used, resources: { ...p.used.resources } } }));
    for (const [i, v] of this.views.entries()) this.index.set(v.peerId, i);
  }

  get(peerId: string): PeerView | undefined {
    const i = this.index.get(peerId);
    return i === undefined ? undefined : this.views[i];
  }

  take(peerId: string, req: ResourceRequest): void {
    const i = this.index.get(peerId)!;
    const v = this.views[i]!;
    const resources = { ...v.used.resources };
    for (const [name, amount] of Object.entries(req.resources))
      resources[name] = (resources[name] ?? 0) + amount;
    this.views[i] = {
      ...v,
      used: { cpu: v.used.cpu + req.cpu, memoryMB: v.used.memoryMB + req.memoryMB, resources },
      running: v.running + 1,
    };
  }
}

/** The function's own estimate on a speed-1 peer, when it has one. */
export function knownEstimateOf(fn: ReadyFunction): number | undefined {
  return fn.estimateMs ?? fn.spec.cost?.estimateMs;
}

/** Queued cpu `input` allows on `peer` for `fn` (0 without an allowance). */
function queueCpuFor(input: AllocationInput, fn: ReadyFunction, peer: PeerView): number {
  if (input.queueAllowance === undefined) return 0;
  const known = knownEstimateOf(fn);
  return input.queueAllowance(peer, known === undefined ? undefined : known / peer.speed);
}

export function estimateOf(fn: ReadyFunction, defaultEstimateMs: number): number {
  return fn.estimateMs ?? fn.spec.cost?.estimateMs ?? defaultEstimateMs;
}

/** The figures strategies compare for one function on one peer. */
export function candidateFor(
  fn: ReadyFunction,
  peer: PeerView,
  network: NetworkModel,
  estimateMs: number,
): Candidate {
  let heldBytes = 0;
  let moveBytes = 0;
  let transferMs = 0;
  for (const input of fn.inputs ?? []) {
    if (input.holders.includes(peer.peerId)) {
      heldBytes += input.bytes;
      continue;
    }
    moveBytes += input.bytes;
    // Inputs are fetched in parallel, each from its fastest holder: the slowest fetch gates the start.
    let best = Number.POSITIVE_INFINITY;
    for (const holder of input.holders)
      best = Math.min(best, network.transferMs(holder, peer.peerId, input.bytes));
    if (best !== Number.POSITIVE_INFINITY) transferMs = Math.max(transferMs, best);
  }
  return {
    peer,
    load: peer.cores > 0 ? peer.used.cpu / peer.cores : Number.POSITIVE_INFINITY,
    runMs: estimateMs / peer.speed,
    heldBytes,
    moveBytes,
    transferMs,
  };
}

/** Why nothing could take the function now: unsatisfiable (naming the need) or busy. */
function explainWait(functionId: string, views: readonly PeerView[], req: ResourceRequest): WaitingFunction {
  const unmet = unmetAcross(views, req);
  if (unmet !== undefined) {
    return {
      functionId,
      reason: 'unsatisfiable',
      unmet,
      message: `function '${functionId}' needs ${unmet}, which no current peer offers`,
    };
  }
  const matching = views.filter((v) => capabilityUnmet(v, req) === undefined && !v.paused).length;
  return {
    functionId,
    reason: 'busy',
    message: `function '${functionId}' waits for room: the ${matching} peer(s) that meet its needs are busy`,
  };
}

/** Keep the order a strategy returned, but never lose or duplicate a function of the batch. */
function safeOrder(given: readonly ReadyFunction[], ordered: readonly ReadyFunction[]): ReadyFunction[] {
  const ids = new Set(given.map((f) => f.spec.id));
  const seen = new Set<string>();
  const out: ReadyFunction[] = [];
  for (const f of [...ordered, ...given]) {
    if (!ids.has(f.spec.id) || seen.has(f.spec.id)) continue;
    seen.add(f.spec.id);
    out.push(f);
  }
  return out;
}

/** Run a Strategy through the shared filter. */
export function strategyAllocator(
  strategy: Strategy,
  options: { defaultEstimateMs?: number } = {},
): Allocator {
  const defaultEstimateMs = options.defaultEstimateMs ?? 1000;
  return {
    name: strategy.name,
    allocate(input: AllocationInput): Allocation {
      const network = input.network ?? createNetworkModel();
      const state = new BatchState(input.peers);
      const ctx: StrategyContext = {
        network,
        get peers() {
          return state.views;
        },
      };
      const assignments: Allocation['assignments'] = [];
      const waiting: WaitingFunction[] = [];
      const ordered = safeOrder(input.functions, strategy.order?.(input.functions, ctx) ?? input.functions);
      for (const fn of ordered) {
        const id = fn.spec.id;
        const req = resourceRequestOf(fn.spec);
        const estimate = estimateOf(fn, defaultEstimateMs);
        const candidates = state.views
          .filter((v) => peerUnmet(v, req, queueCpuFor(input, fn, v)) === undefined)
          .map((v) => candidateFor(fn, v, network, estimate));
        if (candidates.length === 0) {
          waiting.push(explainWait(id, state.views, req));
          continue;
        }
        const choice = strategy.pick(fn, candidates, ctx);
        if (typeof choice === 'string') {
          if (candidates.some((c) => c.peer.peerId === choice)) {
            state.take(choice, req);
            const assignment = { functionId: id, peerId: choice };
            assignments.push(assignment);
            strategy.assigned?.(assignment);
          } else {
            const peer = state.get(choice);
            const unmet =
              peer === undefined
                ? `peer '${choice}' (not connected)`
                : peerUnmet(peer, req, queueCpuFor(input, fn, peer));
            waiting.push({
              functionId: id,
              reason: 'rejected',
              ...(unmet === undefined ? {} : { unmet }),
              message: `strategy '${strategy.name}' chose peer '${choice}' for '${id}', which is not a candidate: ${unmet}`,
            });
          }
        } else {
          const why = choice?.wait ?? `strategy '${strategy.name}' declined to place it now`;
          waiting.push({ functionId: id, reason: 'deferred', message: `function '${id}' waits: ${why}` });
        }
      }
      return { assignments, waiting };
    },
  };
}

/**
 * Wrap a custom Allocator so its assignments pass the shared filter: an assignment to a peer that misses a pin
 * or need, lacks room (counting the batch's earlier assignments), or repeats a function becomes a `rejected` wait.
 */
export function guardAllocator(inner: Allocator): Allocator {
  return {
    name: inner.name,
    allocate(input: AllocationInput): Allocation {
      const result = inner.allocate(input);
      const state = new BatchState(input.peers);
      const byId = new Map(input.functions.map((f) => [f.spec.id, f]));
      const placed = new Set<string>();
      const assignments: Allocation['assignments'] = [];
      const waiting = new Map<string, WaitingFunction>();
      for (const a of result.assignments) {
        const fn = byId.get(a.functionId);
        if (fn === undefined || placed.has(a.functionId)) continue;
        const req = resourceRequestOf(fn.spec);
        const peer = state.get(a.peerId);
        const unmet =
          peer === undefined
            ? `peer '${a.peerId}' (not connected)`
            : peerUnmet(peer, req, queueCpuFor(input, fn, peer));
        if (unmet === undefined) {
          state.take(a.peerId, req);
          placed.add(a.functionId);
          assignments.push({ functionId: a.functionId, peerId: a.peerId });
        } else {
          waiting.set(a.functionId, {
            functionId: a.functionId,
            reason: 'rejected',
            unmet,
            message: `allocator '${inner.name}' placed '${a.functionId}' on '${a.peerId}', which lacks ${unmet}`,
          });
        }
      }
      for (const w of result.waiting)
        if (!placed.has(w.functionId) && !waiting.has(w.functionId)) waiting.set(w.functionId, w);
      for (const f of input.functions) {
        const id = f.spec.id;
        if (placed.has(id) || waiting.has(id)) continue;
        const req = resourceRequestOf(f.spec);
        const free = state.views.some((v) => peerUnmet(v, req, queueCpuFor(input, f, v)) === undefined);
        waiting.set(
          id,
          free
            ? {
                functionId: id,
                reason: 'deferred',
                message: `allocator '${inner.name}' left '${id}' unplaced`,
              }
            : explainWait(id, state.views, req),
        );
      }
      return { assignments, waiting: [...waiting.values()] };
    },
  };
}
