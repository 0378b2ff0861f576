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
  const n = functions.length;
  const indexById = new Map<string, number>();
  const issues: DagIssue[] = [];
  for (let i = 0; i < n; i++) {
    const id = functions[i]!.id;
    if (indexById.has(id)) {
      issues.push({
        code: 'duplicate-id',
        functionId: id,
        field: 'id',
        message: `function '${id}' is defined twice`,
      });
    } else indexById.set(id, i);
  }
  // Dependency edges in compressed form (see DependencyEdges); consumer lists are derived from them.
  const start = new Int32Array(n + 1);
  const targets: number[] = [];
  const waiting = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = functions[i]!;
    start[i] = targets.length;
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
      targets.push(p);
      waiting[i]!++;
    }
  }
  start[n] = targets.length;
  if (issues.length > 0) throw new DagValidationError(issues);
  const deps = { start, targets: Int32Array.from(targets) };

  // Consumers of each node, compressed the same way (counting sort of the edges by producer).
  const consumerStart = new Int32Array(n + 1);
  for (const p of targets) consumerStart[p + 1]!++;
  for (let i = 0; i < n; i++) consumerStart[i + 1]! += consumerStart[i]!;
  const fill = consumerStart.slice(0, n);
  const consumers = new Int32Array(targets.length);
  for (let i = 0; i < n; i++) {
    for (let e = start[i]!; e < start[i + 1]!; e++) consumers[fill[deps.targets[e]!]!++] = i;
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
  return { order, deps };
}
