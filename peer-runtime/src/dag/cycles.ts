/**
 * Cycle finding for DAGs of any size: Tarjan's strongly connected components, written with an explicit stack
 * because a 100,000-function chain would overflow the call stack of a recursive version.
 *
 * Every component with more than one function, or one function that depends on itself, holds at least one
 * cycle; we report one issue per component (a component can hold exponentially many elementary cycles, and
 * breaking one edge in each reported cycle is how users converge anyway).
 */
import type { DagIssue } from '../errors.js';

/**
 * Dependency edges in compressed form (one flat array instead of an array per function, which matters at
 * 100,000 functions): the inputs of node i are `targets[start[i]] .. targets[start[i + 1] - 1]`.
 */
export interface DependencyEdges {
  readonly start: Int32Array;
  readonly targets: Int32Array;
}

function dependsOnItself(deps: DependencyEdges, v: number): boolean {
  for (let e = deps.start[v]!; e < deps.start[v + 1]!; e++) if (deps.targets[e] === v) return true;
  return false;
}

/**
 * @param ids function ids by node index
 * @param deps for each node, the nodes it takes as inputs (duplicates allowed)
 */
export function findCycles(ids: readonly string[], deps: DependencyEdges): DagIssue[] {
  const components = stronglyConnectedComponents(deps);
  const found: { start: number; issue: DagIssue }[] = [];
  for (const component of components) {
    const cycle = cyclePath(component, deps);
    const path = cycle.map((i) => ids[i]!);
    found.push({
      start: cycle[0]!,
      issue: {
        code: 'cycle',
        functionId: path[0]!,
        field: 'args',
        path,
        message: `function '${path[0]}' is in a cycle: ${path.join(' → ')} (each function is an input of the next, so none can start)`,
      },
    });
  }
  // Report in the order the functions were given, whatever order Tarjan finished them in.
  return found.sort((a, b) => a.start - b.start).map((f) => f.issue);
}

/** The components that hold a cycle: more than one member, or one member depending on itself. Iterative Tarjan. */
function stronglyConnectedComponents(deps: DependencyEdges): number[][] {
  const n = deps.start.length - 1;
  const { start, targets } = deps;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  // The call stack of the recursive algorithm: node and how far through its edges we are.
  const callNode: number[] = [];
  const callEdge: number[] = [];
  let counter = 0;

  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callNode.push(root);
    callEdge.push(start[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top]!;
      const e = callEdge[top]!;
      if (e < start[v + 1]!) {
        callEdge[top] = e + 1;
        const w = targets[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callNode.push(w);
          callEdge.push(start[w]!);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      // All edges of v explored: return to the caller.
      callNode.pop();
      callEdge.pop();
      if (callNode.length > 0) {
        const parent = callNode[callNode.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || dependsOnItself(deps, v)) components.push(component);
      }
    }
  }
  return components;
}

/**
 * One concrete cycle through the component's first-listed member, in data-flow order: each element is an
 * input of the next, and the first is repeated at the end. Breadth-first search, so the cycle is a shortest one.
 */
function cyclePath(component: readonly number[], deps: DependencyEdges): number[] {
  const members = new Set(component);
  let start = component[0]!;
  for (const m of component) if (m < start) start = m;
  // Search along dependency edges (consumer → its input) from start until we come back to start.
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (let e = deps.start[v]!; e < deps.start[v + 1]!; e++) {
      const w = deps.targets[e]!;
      if (!members.has(w)) continue;
      if (w === start) {
        // v takes start as an input, parent(v) takes v, and so on back to start: walking the parents from v
        // therefore lists the cycle in data-flow order already (each element is an input of the next).
        const back = [start, v];
        let u = v;
        while (u !== start) {
          u = parent.get(u)!;
          back.push(u);
        }
        return back;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable for a real component
}
