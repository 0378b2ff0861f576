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

/** One argument of a function: which function produces it, and which output of it (-1: the whole result). */
export interface ArgInput {
  readonly producer: number;
  readonly output: number;
}

export interface DagGraph {
  readonly n: number;
  /** The position of every id in the functions the graph was built from. */
  readonly indexById: ReadonlyMap<string, number>;
  /** Per function, per argument (in `args` order). */
  readonly inputs: readonly (readonly ArgInput[])[];
  /** Per function, the distinct functions it takes inputs from, in first-use order. */
  readonly producers: readonly (readonly number[])[];
  /** Per function, the distinct functions that take one of its outputs. */
  readonly dependents: readonly (readonly number[])[];
  /** Any order with every function after its inputs (the given order when it already is one). */
  readonly order: Int32Array;
  /** The argument edges as {@link inputsFirstIndices} found them (for hashing by position). */
  readonly deps: DependencyEdges;
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
  const dependents: number[][] = new Array(n);
  const producers: number[][] = new Array(n);
  const inputs: ArgInput[][] = new Array(n);
  for (let i = 0; i < n; i++) dependents[i] = [];
  for (let i = 0; i < n; i++) {
    const args = functions[i]!.args;
    const own: number[] = [];
    const row: ArgInput[] = new Array(args.length);
    for (let k = 0; k < args.length; k++) {
      const p = targets[start[i]! + k]!;
      const ref = args[k]!;
      row[k] = { producer: p, output: typeof ref === 'string' ? -1 : ref[1] };
      // Arguments per function are few (a handful): a linear scan beats a set.
      if (!own.includes(p)) {
        own.push(p);
        dependents[p]!.push(i);
      }
    }
    inputs[i] = row;
    producers[i] = own;
  }
  return {
    n,
    indexById: indexed.indexById,
    inputs,
    producers,
    dependents,
    order: indexed.order,
    deps: indexed.deps,
  };
}

/** How many distinct producers each function waits for before it is ready. */
export function awaitedCounts(graph: DagGraph): Int32Array {
  const remaining = new Int32Array(graph.n);
  for (let i = 0; i < graph.n; i++) remaining[i] = graph.producers[i]!.length;
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
  for (const d of graph.dependents[i]!) if (--remaining[d]! === 0) ready(d);
}

/**
 * Walks everything downstream of `root` (depth first), calling `skip` for each: it marks the function skipped
 * and returns true, or returns false when the function had already ended (its own downstream is then not
 * walked through it: it was dealt with when it ended).
 */
export function forEachDownstream(graph: DagGraph, root: number, skip: (f: number) => boolean): void {
  const stack = [...graph.dependents[root]!];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (skip(d)) for (const next of graph.dependents[d]!) stack.push(next);
  }
}
