/**
 * The DAG drawn as a graph: a layered layout (dagre, Sugiyama-style) in SVG, one node per function, coloured by
 * its state as the run goes. Colours come from CSS (`[data-status=...]`), so a state change is one attribute
 * write and the browser animates it.
 *
 * dagre's crossing minimisation grows quickly with graph size; past `maxDagreNodes` the view falls back to a
 * plain longest-path layering (each function one layer below its deepest input), which is linear and still
 * reads as a DAG.
 */
import { type Edge, Graph, layout } from '@dagrejs/dagre';
import type { FunctionSpec, FunctionStatus } from '@handout/peer-runtime';
import { parseArgRef } from '@handout/peer-runtime';
import { functionGroup, groupColor } from '../common/colors.js';
import { s } from '../common/dom.js';

/** The tallest the graph panel grows, in CSS pixels. */
const MAX_HEIGHT = 460;

export interface GraphViewOptions {
  /** Above this many functions, use the linear layered layout instead of dagre. Default 600. */
  readonly maxDagreNodes?: number;
  /** Above this many functions, nodes are drawn as dots without labels. Default 60. Labels are also dropped when
   * the graph would be drawn at less than 70% scale, where they could not be read. */
  readonly maxLabelledNodes?: number;
}

interface Placed {
  readonly x: number;
  readonly y: number;
}

interface Layout {
  readonly nodes: Map<string, Placed>;
  readonly edges: Array<readonly Placed[]>;
  readonly width: number;
  readonly height: number;
}

export interface GraphView {
  /** Lay out and draw a DAG (replacing any previous one). */
  setDag(functions: readonly FunctionSpec[]): void;
  setStatus(id: string, status: FunctionStatus): void;
  /** Apply many states at once (after a redraw or for a finished run). */
  setAll(status: ReadonlyMap<string, FunctionStatus>): void;
}

export function createGraphView(host: HTMLElement, options: GraphViewOptions = {}): GraphView {
  const maxDagre = options.maxDagreNodes ?? 600;
  const maxLabelled = options.maxLabelledNodes ?? 60;
  const svg = s('svg', { class: 'graph-view', role: 'img', 'aria-label': 'DAG of the run' });
  host.replaceChildren(svg);
  let nodeEls = new Map<string, SVGGElement>();

  function setDag(functions: readonly FunctionSpec[]): void {
    const lay = (sz: { w: number; h: number }): Layout =>
      functions.length <= maxDagre ? dagreLayout(functions, sz) : layeredLayout(functions, sz);
    const dot = { w: 12, h: 12 };
    let labelled = functions.length <= maxLabelled;
    let size = labelled ? { w: 64, h: 26 } : dot;
    let placed = lay(size);
    // Labels below 70% scale cannot be read: draw dots instead. The drawn scale is limited by the panel's width
    // and by its maximum height.
    const scale = Math.min(
      (host.clientWidth || 700) / (placed.width + 16),
      MAX_HEIGHT / (placed.height + 16),
    );
    if (labelled && scale < 0.7) {
      labelled = false;
      size = dot;
      placed = lay(size);
    }
    const pad = 8;
    svg.setAttribute('viewBox', `${-pad} ${-pad} ${placed.width + 2 * pad} ${placed.height + 2 * pad}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    // Fit the panel to the graph's shape: a wide, shallow DAG gets a short panel, a deep one a tall panel.
    const aspect = (placed.height + 2 * pad) / Math.max(1, placed.width + 2 * pad);
    host.style.height = `${Math.round(Math.min(MAX_HEIGHT, Math.max(180, (host.clientWidth || 700) * aspect)))}px`;
    svg.dataset.nodes = String(functions.length);
    svg.dataset.layout = functions.length <= maxDagre ? 'dagre' : 'layered';

    // All edges in one path: thousands of edges as one element keep the DOM small.
    const d = placed.edges
      .map((pts) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(''))
      .join('');
    const edges = s('path', { class: 'graph-edges', d });

    nodeEls = new Map();
    const nodes = s('g', { class: 'graph-nodes' });
    for (const f of functions) {
      const p = placed.nodes.get(f.id);
      if (!p) continue;
      const g = s('g', {
        class: 'graph-node',
        'data-id': f.id,
        'data-status': 'pending',
        transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`,
      });
      const shape = labelled
        ? s('rect', { x: -size.w / 2, y: -size.h / 2, width: size.w, height: size.h, rx: 6 })
        : s('circle', { r: size.w / 2 });
      // A thin ring in the function group's colour ties the graph to the task stream's bar colours.
      shape.setAttribute('stroke', groupColor(functionGroup(f.id)));
      g.append(shape, s('title', {}, f.id));
      if (labelled) g.append(s('text', { 'text-anchor': 'middle', dy: '0.35em' }, shortLabel(f.id)));
      nodes.append(g);
      nodeEls.set(f.id, g);
    }
    svg.replaceChildren(edges, nodes);
  }

  function setStatus(id: string, status: FunctionStatus): void {
    const el = nodeEls.get(id);
    if (el && el.dataset.status !== status) el.dataset.status = status;
  }

  return {
    setDag,
    setStatus,
    setAll: (all) => {
      for (const [id, st] of all) setStatus(id, st);
    },
  };
}

function shortLabel(id: string): string {
  return id.length > 9 ? `${id.slice(0, 8)}…` : id;
}

function dagreLayout(functions: readonly FunctionSpec[], size: { w: number; h: number }): Layout {
  const g = new Graph();
  const dense = size.w < 20;
  g.setGraph({ rankdir: 'TB', nodesep: dense ? 4 : 14, ranksep: dense ? 60 : 36, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const f of functions) g.setNode(f.id, { width: size.w, height: size.h });
  for (const f of functions) {
    for (const ref of f.args) {
      const { producer } = parseArgRef(ref);
      if (g.hasNode(producer)) g.setEdge(producer, f.id);
    }
  }
  layout(g);
  const nodes = new Map<string, Placed>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { x: n.x, y: n.y });
  }
  const edges = g.edges().map((e: Edge) => (g.edge(e).points ?? []) as Placed[]);
  const graph = g.graph();
  return { nodes, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** Longest-path layering, nodes spread evenly in each layer, straight edges. O(functions + edges). */
function layeredLayout(functions: readonly FunctionSpec[], size: { w: number; h: number }): Layout {
  // Kahn's algorithm: each function's layer is one below its deepest input (ids outside the DAG are ignored).
  const ids = new Set(functions.map((f) => f.id));
  const consumers = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const f of functions) {
    const deps = f.args.map((a) => parseArgRef(a).producer).filter((p) => ids.has(p));
    waiting.set(f.id, deps.length);
    for (const p of deps) {
      const list = consumers.get(p);
      if (list) list.push(f.id);
      else consumers.set(p, [f.id]);
    }
  }
  const depth = new Map<string, number>();
  const ready = functions.filter((f) => waiting.get(f.id) === 0).map((f) => f.id);
  for (const id of ready) depth.set(id, 0);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const c of consumers.get(id) ?? []) {
      depth.set(c, Math.max(depth.get(c) ?? 0, depth.get(id)! + 1));
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  const layers: string[][] = [];
  for (const f of functions) {
    const d = depth.get(f.id) ?? 0;
    layers[d] ??= [];
    layers[d].push(f.id);
  }
  const gapX = size.w + 3;
  const gapY = size.h * 5;
  const width = Math.max(...layers.map((l) => l.length)) * gapX;
  const nodes = new Map<string, Placed>();
  layers.forEach((layer, d) => {
    const offset = (width - layer.length * gapX) / 2 + gapX / 2;
    layer.forEach((id, i) => {
      nodes.set(id, { x: offset + i * gapX, y: d * gapY + size.h / 2 });
    });
  });
  const edges: Array<readonly Placed[]> = [];
  for (const f of functions) {
    const to = nodes.get(f.id)!;
    for (const ref of f.args) {
      const from = nodes.get(parseArgRef(ref).producer);
      if (from) edges.push([from, to]);
    }
  }
  return { nodes, edges, width, height: layers.length * gapY };
}
