/**
 * Topological order of a DAG's functions, used to hash them (inputs before consumers) and by schedulers.
 */
import { type DagIssue, DagValidationError } from '../errors.js';
import { type DependencyEdges, findCycles } from './cycles.js';
import type { FunctionSpec } from './types.js';

/**
 * Ids in an order where every function comes after all of its inputs (Kahn's algorithm; ties keep the order
 * the functions were given, so the result is deterministic). Throws {@link DagValidationError} for duplicate
 * ids, missing dependencies and cycles (with their paths). Expects well-shaped specs: run
 * `validateDag` first on untrusted input.
 */
export function topologicalOrder(functions: readonly FunctionSpec[]): string[] {
  const { order } = topologicalIndices(functions);
  const ids: string[] = new Array(order.length);
  for (let k = 0; k < order.length; k++) ids[k] = functions[order[k]!]!.id;
  return ids;
}

/** The graph by index, for callers that walk it in order (hashing): no id lookups per edge. */
export interface IndexedOrder {
  /** Positions in `functions`, every function after its inputs. */
  readonly order: Int32Array;
  /** The inputs of function i, in `args` order, are the positions `deps.targets[deps.start[i] .. deps.start[i+1]-1]`. */
  readonly deps: DependencyEdges;
}

/** {@link topologicalOrder} by position in `functions`; same checks, same errors. */
export function topologicalIndices(functions: readonly FunctionSpec[]): IndexedOrder {
  const { deps } = dependencyEdges(functions);
  return { order: kahnOrder(functions, deps), deps };
}

/** An {@link IndexedOrder} with the position of every id (a map that callers may reuse, e.g. to key results). */
export interface IndexedGraph extends IndexedOrder {
  readonly indexById: Map<string, number>;
}

/**
 * The graph by position, in an order fit for walking inputs before consumers: the given order itself when it
 * already is one (the usual case: builders and generators list producers first), else {@link topologicalIndices}'s.
 * For callers to whom any such order will do (hashing), this skips Kahn's algorithm and its consumer lists.
 */
export function inputsFirstIndices(functions: readonly FunctionSpec[]): IndexedGraph {
  const { deps, indexById } = dependencyEdges(functions);
  const { start, targets } = deps;
  const n = functions.length;
  for (let i = 0; i < n; i++) {
    for (let e = start[i]!; e < start[i + 1]!; e++) {
      if (targets[e]! >= i) return { order: kahnOrder(functions, deps), deps, indexById };
    }
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return { order, deps, indexById };
}

/**
 * Every function's inputs by position. Throws {@link DagValidationError} for duplicate ids and missing
 * dependencies.
 */
function dependencyEdges(functions: readonly FunctionSpec[]): {
  deps: DependencyEdges;
  indexById: Map<string, number>;
} {
  const n = functions.length;
  const indexById = new Map<string, number>();
  const issues: DagIssue[] = [];
  let edges = 0;
  for (let i = 0; i < n; i++) {
    const f = functions[i]!;
    edges += f.args?.length ?? 0;
    // One map operation per function: a set that does not grow the map met a duplicate (which then throws,
    // so it does not matter that the later position overwrote the first).
    const size = indexById.size;
    indexById.set(f.id, i);
    if (indexById.size === size) {
      issues.push({
        code: 'duplicate-id',
        functionId: f.id,
        field: 'id',
        message: `function '${f.id}' is defined twice`,
      });
    }
  }
  // Dependency edges in compressed form (see DependencyEdges), sized up front.
  const start = new Int32Array(n + 1);
  const targets = new Int32Array(edges);
  let e = 0;
  for (let i = 0; i < n; i++) {
    const f = functions[i]!;
    start[i] = e;
    const args = f.args ?? [];
    for (let k = 0; k < args.length; k++) {
      const ref = args[k]!;
      const producer = typeof ref === 'string' ? ref : ref[0];
      const p = indexById.get(producer);
      if (p === undefined) {
        issues.push({
          code: 'missing-dependency',
          functionId: f.id,
          field: `args[${k}]`,
          message: `function '${f.id}': args[${k}] names '${producer}', which is not a function of this DAG`,
        });
        continue;
      }
      targets[e++] = p;
    }
  }
  start[n] = e;
  if (issues.length > 0) throw new DagValidationError(issues);
  return { deps: { start, targets }, indexById };
}

/** Kahn's algorithm; ties keep the given order. Throws {@link DagValidationError} with the cycles if any. */
function kahnOrder(functions: readonly FunctionSpec[], deps: DependencyEdges): Int32Array {
  const n = functions.length;
  const { start, targets } = deps;
  const waiting = new Int32Array(n);
  for (let i = 0; i < n; i++) waiting[i] = start[i + 1]! - start[i]!;
  // Consumers of each node, compressed the same way (counting sort of the edges by producer).
  const consumerStart = new Int32Array(n + 1);
  for (const p of targets) consumerStart[p + 1]!++;
  for (let i = 0; i < n; i++) consumerStart[i + 1]! += consumerStart[i]!;
  const fill = consumerStart.slice(0, n);
  const consumers = new Int32Array(targets.length);
  for (let i = 0; i < n; i++) {
    for (let e = start[i]!; e < start[i + 1]!; e++) consumers[fill[targets[e]!]!++] = i;
  }

  // The queue is the order: Kahn's algorithm appends each function once all its inputs are in.
  const order = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (waiting[i] === 0) order[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const v = order[head]!;
    for (let e = consumerStart[v]!; e < consumerStart[v + 1]!; e++) {
      const c = consumers[e]!;
      if (--waiting[c]! === 0) order[tail++] = c;
    }
  }
  if (tail < n) {
    throw new DagValidationError(
      findCycles(
        functions.map((f) => f.id),
        deps,
      ),
    );
  }
  return order;
}
