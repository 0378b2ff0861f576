/**
 * What the graph shows: each function group (dag-shape.ts: prefix, split by layer) either collapsed into one
 * node with its count, or expanded into its functions. A small DAG starts fully expanded; a big one starts with
 * every group of more than `collapseAbove` functions collapsed, so a 10,000-function DAG is a handful of nodes
 * until someone opens a group. Edges between visible nodes are merged (one edge per pair, however many
 * dependencies it stands for).
 */
import type { DagShape, FunctionGroup } from '../../run-model/dag-shape.js';
import { type LayoutNode, layoutGraph, type PlacedGraph } from './layout.js';

export type SceneNode =
  | {
      readonly kind: 'function';
      readonly key: string;
      readonly id: string;
      readonly group: FunctionGroup;
      readonly r: number;
    }
  | { readonly kind: 'group'; readonly key: string; readonly group: FunctionGroup; readonly r: number };

export interface Scene {
  readonly nodes: readonly SceneNode[];
  /** Functions are drawn as labelled pills (else as dots). */
  readonly labelled: boolean;
  readonly placed: PlacedGraph;
  /** The visible node standing for each function (itself, or its collapsed group). */
  readonly nodeOf: ReadonlyMap<string, SceneNode>;
}

export interface SceneOptions {
  /** A DAG of at most this many functions starts fully expanded. Default 250. */
  readonly expandAllUpTo?: number;
  /** Otherwise, groups of at most this many functions start expanded. Default 12. */
  readonly collapseAbove?: number;
}

/** The groups that start expanded for this DAG. */
export function initiallyExpanded(shape: DagShape, options: SceneOptions = {}): Set<string> {
  const total = shape.layerOf.size;
  const small = total <= (options.expandAllUpTo ?? 250);
  const limit = options.collapseAbove ?? 12;
  return new Set(shape.groups.filter((g) => small || g.ids.length <= limit).map((g) => g.key));
}

/** The radius of a collapsed group: grows with the log of its size, so 10 and 10,000 both read. */
export function groupRadius(count: number): number {
  return 14 + 5 * Math.log10(Math.max(1, count));
}

/** Room under a collapsed group for its name. */
const GROUP_LABEL_H = 22;

export function buildScene(
  shape: DagShape,
  expanded: ReadonlySet<string>,
  labelled: boolean,
  rankdir: 'TB' | 'LR' = 'TB',
): Scene {
  const nodes: SceneNode[] = [];
  const nodeOf = new Map<string, SceneNode>();
  const fnR = labelled ? 13 : 5;
  for (const group of shape.groups) {
    if (expanded.has(group.key)) {
      for (const id of group.ids) {
        const node: SceneNode = { kind: 'function', key: `f:${id}`, id, group, r: fnR };
        nodes.push(node);
        nodeOf.set(id, node);
      }
    } else {
      const node: SceneNode = {
        kind: 'group',
        key: `g:${group.key}`,
        group,
        r: groupRadius(group.ids.length),
      };
      nodes.push(node);
      for (const id of group.ids) nodeOf.set(id, node);
    }
  }
  const seen = new Set<string>();
  const edges: Array<readonly [string, string]> = [];
  for (const [producer, consumer] of shape.edges) {
    const a = nodeOf.get(producer)!.key;
    const b = nodeOf.get(consumer)!.key;
    if (a === b) continue;
    const k = `${a}\u0000${b}`;
    if (seen.has(k)) continue;
    seen.add(k);
    edges.push([a, b]);
  }
  const layoutNodes: LayoutNode[] = nodes.map((n) => ({
    key: n.key,
    // Labelled functions are pills wide enough for a short id; everything else a circle.
    width: n.kind === 'function' && labelled ? 64 : 2 * n.r,
    height: 2 * n.r + (n.kind === 'group' ? GROUP_LABEL_H : 0),
    layer: n.group.layer,
  }));
  return { nodes, labelled, placed: layoutGraph(layoutNodes, edges, { rankdir }), nodeOf };
}
