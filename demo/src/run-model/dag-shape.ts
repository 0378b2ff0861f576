/**
 * The shape of a DAG as the dashboard draws it: each function's layer (one below its deepest input) and its
 * group. Groups follow Dask, which groups tasks by key prefix (`tile-3-4` → `tile`); a prefix that spans several
 * layers is split per layer (`count@0`, `count@2`), so a collapsed group is always one node on one row of the
 * graph and its edges still point down. Computed once per DAG, in O(functions + edges).
 */
import type { FunctionSpec } from '@handout/peer-runtime';
import { parseArgRef } from '@handout/peer-runtime';

/**
 * The prefix of a function id: what comes before the first digit or separator-digit run (`tile-3-4` → `tile`,
 * `row_2` → `row`, `image` → `image`). The task stream colours bars by it and the progress view counts by it.
 */
export function functionPrefix(id: string): string {
  const m = /^(.*?)[-_:./]?\d/.exec(id);
  const prefix = m ? m[1]! : id;
  return prefix === '' ? id : prefix;
}

export interface FunctionGroup {
  /** `prefix`, or `prefix@layer` when the prefix spans several layers. */
  readonly key: string;
  readonly prefix: string;
  readonly layer: number;
  /** Member function ids, in DAG order. */
  readonly ids: readonly string[];
}

export interface DagShape {
  readonly layerOf: ReadonlyMap<string, number>;
  readonly layers: number;
  readonly groups: readonly FunctionGroup[];
  readonly groupOf: ReadonlyMap<string, FunctionGroup>;
  /** Function ids per prefix, in DAG order (the per-group progress view). */
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
  /** Every dependency as [producer, consumer] (producers outside the DAG are left out). */
  readonly edges: ReadonlyArray<readonly [string, string]>;
  /** Each function's inputs' producers (inside the DAG), in args order. */
  readonly producersOf: ReadonlyMap<string, readonly string[]>;
}

export function dagShape(functions: readonly FunctionSpec[]): DagShape {
  const ids = new Set(functions.map((f) => f.id));
  const consumers = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  const producersOf = new Map<string, string[]>();
  const edges: Array<readonly [string, string]> = [];
  for (const f of functions) {
    const deps = f.args.map((a) => parseArgRef(a).producer).filter((p) => ids.has(p));
    producersOf.set(f.id, deps);
    const unique = new Set(deps);
    waiting.set(f.id, unique.size);
    for (const p of unique) {
      edges.push([p, f.id]);
      const list = consumers.get(p);
      if (list) list.push(f.id);
      else consumers.set(p, [f.id]);
    }
  }
  // Kahn's algorithm; functions on a cycle (an invalid DAG, refused before it runs) stay on layer 0.
  const layerOf = new Map<string, number>();
  const ready = functions.filter((f) => waiting.get(f.id) === 0).map((f) => f.id);
  for (const id of ready) layerOf.set(id, 0);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const c of consumers.get(id) ?? []) {
      layerOf.set(c, Math.max(layerOf.get(c) ?? 0, layerOf.get(id)! + 1));
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  for (const f of functions) if (!layerOf.has(f.id)) layerOf.set(f.id, 0);

  const prefixes = new Map<string, string[]>();
  const layersOfPrefix = new Map<string, Set<number>>();
  for (const f of functions) {
    const p = functionPrefix(f.id);
    (prefixes.get(p) ?? prefixes.set(p, []).get(p)!).push(f.id);
    (layersOfPrefix.get(p) ?? layersOfPrefix.set(p, new Set()).get(p)!).add(layerOf.get(f.id)!);
  }
  const byKey = new Map<string, { prefix: string; layer: number; ids: string[] }>();
  for (const f of functions) {
    const prefix = functionPrefix(f.id);
    const layer = layerOf.get(f.id)!;
    const key = layersOfPrefix.get(prefix)!.size > 1 ? `${prefix}@${layer}` : prefix;
    (byKey.get(key) ?? byKey.set(key, { prefix, layer, ids: [] }).get(key)!).ids.push(f.id);
  }
  const groups: FunctionGroup[] = [...byKey].map(([key, g]) => ({ key, ...g }));
  const groupOf = new Map<string, FunctionGroup>();
  for (const g of groups) for (const id of g.ids) groupOf.set(id, g);
  let layers = 0;
  for (const l of layerOf.values()) layers = Math.max(layers, l + 1);
  return { layerOf, layers, groups, groupOf, prefixes, edges, producersOf };
}
