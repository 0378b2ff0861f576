/**
 * Where the graph's visible nodes go. Small graphs use dagre (Sugiyama-style layering with crossing
 * minimisation, edges routed around nodes). Dagre's crossing minimisation grows quickly with size (measured here
 * in Node: 0.12 s for 100 nodes, 0.2 s for 200, 0.4 s for 300, 0.8 s for 500), so past `maxDagreNodes` the layout is a plain layering by the DAG's own layers, each row
 * centred, edges straight: linear in nodes and edges and still reads as a DAG. Collapsed groups keep the graph
 * small either way (see scene.ts).
 */
import { type Edge, Graph, layout } from '@dagrejs/dagre';

export interface LayoutNode {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  /** The DAG layer (used by the layered fallback). */
  readonly layer: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface PlacedGraph {
  /** Centres, by node key. */
  readonly at: ReadonlyMap<string, Point>;
  /** Each edge as a polyline (dagre's routes, or a straight segment). */
  readonly edges: ReadonlyArray<readonly Point[]>;
  readonly width: number;
  readonly height: number;
  readonly engine: 'dagre' | 'layered';
}

export interface LayoutOptions {
  /** Above this many nodes, the layered layout replaces dagre (a click that opens a group stays under ~0.2 s). Default 200. */
  readonly maxDagreNodes?: number;
  /** Dagre's direction: top to bottom, or left to right (for deep, narrow DAGs). Default 'TB'. */
  readonly rankdir?: 'TB' | 'LR';
}

export function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: ReadonlyArray<readonly [string, string]>,
  options: LayoutOptions = {},
): PlacedGraph {
  return nodes.length <= (options.maxDagreNodes ?? 200)
    ? dagreLayout(nodes, edges, options.rankdir ?? 'TB')
    : layeredLayout(nodes, edges);
}

function dagreLayout(
  nodes: readonly LayoutNode[],
  edges: ReadonlyArray<readonly [string, string]>,
  rankdir: 'TB' | 'LR',
): PlacedGraph {
  const g = new Graph();
  const dense = nodes.length > 80;
  g.setGraph({ rankdir, nodesep: dense ? 6 : 16, ranksep: dense ? 50 : 40, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.key, { width: n.width, height: n.height });
  for (const [from, to] of edges) if (g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  layout(g);
  const at = new Map<string, Point>();
  for (const key of g.nodes()) {
    const n = g.node(key);
    at.set(key, { x: n.x, y: n.y });
  }
  const routed = g.edges().map((e: Edge) => (g.edge(e).points ?? []) as Point[]);
  const graph = g.graph();
  return { at, edges: routed, width: graph.width ?? 0, height: graph.height ?? 0, engine: 'dagre' };
}

function layeredLayout(
  nodes: readonly LayoutNode[],
  edges: ReadonlyArray<readonly [string, string]>,
): PlacedGraph {
  const rows: LayoutNode[][] = [];
  for (const n of nodes) {
    rows[n.layer] ??= [];
    rows[n.layer]!.push(n);
  }
  const gapX = 4;
  const rowWidth = (row: readonly LayoutNode[]): number => row.reduce((w, n) => w + n.width + gapX, 0) - gapX;
  const width = Math.max(0, ...rows.map((r) => (r ? rowWidth(r) : 0)));
  const at = new Map<string, Point>();
  let y = 0;
  for (const row of rows) {
    if (!row) continue;
    const rowH = Math.max(...row.map((n) => n.height));
    let x = (width - rowWidth(row)) / 2;
    for (const n of row) {
      at.set(n.key, { x: x + n.width / 2, y: y + rowH / 2 });
      x += n.width + gapX;
    }
    y += rowH + Math.max(30, rowH * 2);
  }
  const straight: Array<readonly Point[]> = [];
  for (const [from, to] of edges) {
    const a = at.get(from);
    const b = at.get(to);
    if (a && b) straight.push([a, b]);
  }
  return { at, edges: straight, width, height: y, engine: 'layered' };
}
