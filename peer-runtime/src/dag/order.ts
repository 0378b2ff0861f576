/**
 * Topological order of a DAG's functions, used to hash them (inputs before consumers) and by schedulers.
 */
import { type DagIssue, DagValidationError } from '../errors.js';
import { findCycles } from './cycles.js';
import type { FunctionSpec } from './types.js';

/**
 * Ids in an order where every function comes after all of its inputs (Kahn's algorithm; ties keep the order
 * the functions were given, so the result is deterministic). Throws {@link DagValidationError} for duplicate
 * ids, missing dependencies and cycles (with their paths). Expects well-shaped specs: run
 * `validateDag` first on untrusted input.
 */
export function topologicalOrder(functions: readonly FunctionSpec[]): string[] {
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

  const order: string[] = [];
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    order.push(functions[v]!.id);
    for (let e = consumerStart[v]!; e < consumerStart[v + 1]!; e++) {
      const c = consumers[e]!;
      if (--waiting[c]! === 0) queue.push(c);
    }
  }
  if (order.length < n) {
    throw new DagValidationError(
      findCycles(
        functions.map((f) => f.id),
        deps,
      ),
    );
  }
  return order;
}
