/**
 * The DAG by position, built once per run and read by every scheduler (the local engine, the coordinator's run
 * state, HEFT and the simulator): each function's inputs per argument, its distinct producers, and the distinct
 * consumers of each producer. Before this module each of them rebuilt the same lists with its own rules (the
 * local engine counted repeated arguments, the coordinator distinct producers); one builder keeps readiness
 * counting the same everywhere.
 */
import type { DependencyEdges } from './cycles.js';
import { type IndexedGraph, inputsFirstIndices } from './order.js';
import type { FunctionSpec } from './types.js';

/**
 * Per function, a row of positions, stored as one flat array (compressed sparse rows): function `i`'s row is
 * `targets[start[i]]` up to `targets[start[i + 1]]`. Arrays of small arrays cost ~150 bytes a function each
 * (an array object and its backing store per row); a run of 10 million functions needs its graph at a few bytes
 * per edge (issue 16, goal 2).
 */
export type Adjacency = DependencyEdges;

/** Function `i`'s row of `adj` (a view: no copy). */
export function row(adj: Adjacency, i: number): Int32Array {
  return adj.targets.subarray(adj.start[i]!, adj.start[i + 1]!);
}

export interface DagGraph {
  readonly n: number;
  /** The position of every id in the functions the graph was built from. */
  readonly indexById: ReadonlyMap<string, number>;
  /**
   * Per function, per argument (in `args` order), the producer's position: {@link inputsFirstIndices}'s argument
   * edges, which hashing by position reads too.
   */
  readonly deps: Adjacency;
  /** Parallel to `deps.targets`: which output of the producer the argument takes (-1: the whole result). */
  readonly outputs: Int32Array;
  /** Per function, the distinct functions it takes inputs from, in first-use order. */
  readonly producers: Adjacency;
  /** Per function, the distinct functions that take one of its outputs, in ascending order. */
  readonly dependents: Adjacency;
  /** Any order with every function after its inputs (the given order when it already is one). */
  readonly order: Int32Array;
}

/**
 * Builds the graph of `functions`. Throws `DagValidationError` for duplicate ids, unknown dependencies and
 * cycles (as `inputsFirstIndices` does). Pass `indexed` when the caller already computed it (to hash).
 */
export function dagGraph(
  functions: readonly FunctionSpec[],
  indexed: IndexedGraph = inputsFirstIndices(functions),
): DagGraph {
  const n = functions.length;
  const { start, targets } = indexed.deps;
  const outputs = new Int32Array(targets.length);
  const prodStart = new Int32Array(n + 1);
  const prodTargets = new Int32Array(targets.length);
  const consumers = new Int32Array(n + 1);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    const args = functions[i]!.args;
    const first = edges;
    for (let k = 0; k < args.length; k++) {
      const e = start[i]! + k;
      const p = targets[e]!;
      const ref = args[k]!;
      outputs[e] = typeof ref === 'string' ? -1 : ref[1];
      // Arguments per function are few (a handful): a linear scan beats a set.
      let seen = false;
      for (let j = first; j < edges && !seen; j++) seen = prodTargets[j] === p;
      if (!seen) {
        prodTargets[edges++] = p;
        consumers[p + 1]!++;
      }
    }
    prodStart[i + 1] = edges;
  }
  for (let i = 0; i < n; i++) consumers[i + 1]! += consumers[i]!;
  const depTargets = new Int32Array(edges);
  const fill = consumers.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let e = prodStart[i]!; e < prodStart[i + 1]!; e++) depTargets[fill[prodTargets[e]!]!++] = i;
  }
  return {
    n,
    indexById: indexed.indexById,
    deps: indexed.deps,
    outputs,
    producers: { start: prodStart, targets: prodTargets.slice(0, edges) },
    dependents: { start: consumers, targets: depTargets },
    order: indexed.order,
  };
}

/** How many distinct producers each function waits for before it is ready. */
export function awaitedCounts(graph: DagGraph): Int32Array {
  const remaining = new Int32Array(graph.n);
  const { start } = graph.producers;
  for (let i = 0; i < graph.n; i++) remaining[i] = start[i + 1]! - start[i]!;
  return remaining;
}

/**
 * Counts one producer done for each consumer of `i`; calls `ready` for each that has all its inputs now.
 * `remaining` is the run's {@link awaitedCounts}, decremented in place.
 */
export function releaseDependents(
  graph: DagGraph,
  remaining: Int32Array,
  i: number,
  ready: (consumer: number) => void,
): void {
  const { start, targets } = graph.dependents;
  for (let e = start[i]!; e < start[i + 1]!; e++) {
    const d = targets[e]!;
    if (--remaining[d]! === 0) ready(d);
  }
}

/**
 * Walks everything downstream of `root` (depth first), calling `skip` for each: it marks the function skipped
 * and returns true, or returns false when the function had already ended (its own downstream is then not
 * walked through it: it was dealt with when it ended).
 */
export function forEachDownstream(graph: DagGraph, root: number, skip: (f: number) => boolean): void {
  const stack = Array.from(row(graph.dependents, root));
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (skip(d)) for (const next of row(graph.dependents, d)) stack.push(next);
  }
}
