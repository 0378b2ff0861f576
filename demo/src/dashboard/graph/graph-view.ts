/**
 * The DAG drawn on a canvas: collapsed groups as one node with their count and a progress ring, functions as
 * dots (or labelled pills in a small DAG) coloured by state. Scroll to zoom at the pointer, drag to pan, click a
 * group to open or close it, click a function to select it. A canvas because SVG with one element per function
 * stops being interactive in the thousands; here a frame costs one pass over the visible nodes (off-screen ones
 * skipped), with nodes of one colour filled as one path.
 *
 * The drawn scene is readable (`scene()`) with each node's state and its position on the page, so tests can
 * check what is shown and click where a person would.
 */
import type { FunctionStatus } from '@handout/peer-runtime';
import { groupColor, STATUS_COLORS } from '../../common/colors.js';
import { h } from '../../common/dom.js';
import { pageTooltip } from '../../common/tooltip.js';
import type { DagShape } from '../../run-model/dag-shape.js';
import type { StatusCounts } from '../../run-model/run-model.js';
import { drawGroupNode, drawPill, RING_ORDER } from './draw.js';
import { wireInteractions } from './interactions.js';
import { buildScene, initiallyExpanded, type Scene, type SceneNode } from './scene.js';

/** The tallest the graph panel grows, in CSS pixels. */
const MAX_HEIGHT = 480;
/** At most this many functions are drawn as labelled pills. */
const MAX_LABELLED = 60;
/** Groups larger than this cannot be expanded all at once (the layout stays linear, the canvas readable). */
export const MAX_EXPANDED_FUNCTIONS = 4000;

/** Where the graph reads states from: the run's model, or nothing yet (a DAG chosen but not run). */
export interface GraphStates {
  statusOf(id: string): FunctionStatus;
  counts(ids: readonly string[]): StatusCounts;
  /** Bumped on every change, so an unchanged frame draws nothing. */
  readonly version: number;
}

export interface GraphViewOptions {
  /** Called with a function id when a function is clicked. Default: nothing. */
  readonly onSelect?: (id: string) => void;
}

export interface SceneEntry {
  readonly kind: 'function' | 'group';
  readonly key: string;
  readonly id?: string;
  readonly group: string;
  readonly status?: FunctionStatus;
  readonly count: number;
  readonly done?: number;
  /** Centre on the page (CSS pixels, viewport coordinates) and radius on screen. */
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

export interface GraphView {
  setDag(shape: DagShape): void;
  setStates(states: GraphStates | undefined): void;
  /** Redraws when the states or the view changed since the last frame. */
  update(): void;
  toggleGroup(key: string): void;
  select(id: string | undefined): void;
  fit(): void;
  scene(): SceneEntry[];
}

export function createGraphView(host: HTMLElement, options: GraphViewOptions = {}): GraphView {
  return new CanvasGraphView(host, options);
}

const NO_COUNTS = (ids: readonly string[]): StatusCounts => ({
  total: ids.length,
  pending: ids.length,
  queued: 0,
  running: 0,
  dispatched: 0,
  succeeded: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
  cached: 0,
});

class CanvasGraphView implements GraphView {
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private shape: DagShape | undefined;
  private expanded = new Set<string>();
  private current: Scene | undefined;
  private states: GraphStates | undefined;
  private selected: string | undefined;
  /** World → screen: screen = world × k + (tx, ty). */
  private readonly view = { k: 1, tx: 0, ty: 0 };
  /** What the last frame drew (states version, view, size, selection): an equal key draws nothing. */
  private drawnKey = '';
  /** Where the pointer hovers (page coordinates), so the tooltip follows state changes under a still pointer. */
  private hoverAt: { x: number; y: number } | undefined;

  constructor(
    private readonly host: HTMLElement,
    private readonly options: GraphViewOptions,
  ) {
    this.canvas = h('canvas', { class: 'graph-canvas', 'aria-label': 'DAG of the run', role: 'img' });
    host.replaceChildren(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
    wireInteractions(this.canvas, this.view, {
      redraw: () => {
        this.drawnKey = '';
        this.update();
      },
      click: (x, y) => {
        const node = this.nodeAt(x, y);
        if (node?.kind === 'group') this.toggleGroup(node.group.key);
        else if (node) this.options.onSelect?.(node.id);
      },
      hover: (x, y) => {
        this.hoverAt = { x, y };
        this.showTooltip(x, y);
      },
      leave: () => {
        this.hoverAt = undefined;
        pageTooltip().hide();
      },
    });
  }

  private showTooltip(x: number, y: number): void {
    const node = this.nodeAt(x, y);
    if (!node) {
      pageTooltip().hide();
      return;
    }
    const lines =
      node.kind === 'group'
        ? describeGroup(node, this.countsOf(node.group.ids), this.expanded.has(node.group.key))
        : [node.id, `${this.statusOf(node.id)} · group ${node.group.key}`, 'click for details'];
    pageTooltip().show(lines, x, y);
  }

  setDag(next: DagShape): void {
    this.shape = next;
    this.expanded = initiallyExpanded(next);
    this.selected = undefined;
    this.rebuild();
    this.update();
  }

  setStates(next: GraphStates | undefined): void {
    this.states = next;
    this.drawnKey = '';
  }

  toggleGroup(key: string): void {
    const group = this.shape?.groups.find((g) => g.key === key);
    if (!group) return;
    if (this.expanded.has(key)) this.expanded.delete(key);
    else if (group.ids.length <= MAX_EXPANDED_FUNCTIONS) this.expanded.add(key);
    this.rebuild();
  }

  select(id: string | undefined): void {
    this.selected = id;
    this.update();
  }

  fit(): void {
    this.fitView();
    this.update();
  }

  update(): void {
    const { canvas, ctx, view } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = this.host.clientWidth || 700;
    const hgt = this.host.clientHeight || 300;
    const key = `${this.states?.version ?? -1}|${view.k}|${view.tx}|${view.ty}|${w}|${hgt}|${this.selected}|${this.current?.nodes.length}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${hgt}px`;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const scene = this.current;
    if (!scene) return;
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.tx, dpr * view.ty);
    this.drawEdges(scene);
    this.drawNodes(scene, w, hgt);
    this.drawSelection(scene);
    if (this.hoverAt) this.showTooltip(this.hoverAt.x, this.hoverAt.y);
  }

  scene(): SceneEntry[] {
    const scene = this.current;
    if (!scene) return [];
    const rect = this.canvas.getBoundingClientRect();
    const { k, tx, ty } = this.view;
    return scene.nodes.map((node) => {
      const p = scene.placed.at.get(node.key)!;
      const base = {
        kind: node.kind,
        key: node.key,
        group: node.group.key,
        x: rect.left + tx + p.x * k,
        y: rect.top + ty + p.y * k,
        r: node.r * k,
      };
      if (node.kind === 'function') return { ...base, id: node.id, status: this.statusOf(node.id), count: 1 };
      const c = this.countsOf(node.group.ids);
      return { ...base, count: c.total, done: c.succeeded + c.failed + c.skipped };
    });
  }

  private statusOf(id: string): FunctionStatus {
    return this.states?.statusOf(id) ?? 'pending';
  }

  private countsOf(ids: readonly string[]): StatusCounts {
    return this.states?.counts(ids) ?? NO_COUNTS(ids);
  }

  private rebuild(): void {
    const shape = this.shape;
    if (!shape) return;
    const { expanded } = this;
    const visibleFunctions = shape.groups.reduce((n, g) => n + (expanded.has(g.key) ? g.ids.length : 0), 0);
    const allFunctions = expanded.size === shape.groups.length;
    let labelled = allFunctions && visibleFunctions <= MAX_LABELLED;
    let scene = buildScene(shape, expanded, labelled);
    // A deep, narrow graph reads better left to right on a wide panel.
    const tall = scene.placed.engine === 'dagre' && scene.placed.height > 1.5 * scene.placed.width;
    if (tall) scene = buildScene(shape, expanded, labelled, 'LR');
    // Labels drawn below 70% scale cannot be read: draw dots instead.
    if (labelled && this.fitScale(scene) < 0.7) {
      labelled = false;
      scene = buildScene(shape, expanded, labelled, tall ? 'LR' : 'TB');
    }
    this.current = scene;
    const data = this.canvas.dataset;
    data.functions = String(shape.layerOf.size);
    data.nodes = String(scene.nodes.length);
    data.engine = scene.placed.engine;
    data.collapsed = String(scene.nodes.filter((n) => n.kind === 'group').length);
    const width = this.host.clientWidth || 700;
    const aspect = (scene.placed.height + 40) / Math.max(1, scene.placed.width + 40);
    this.host.style.height = `${Math.round(Math.min(MAX_HEIGHT, Math.max(220, width * aspect)))}px`;
    this.fitView();
  }

  /** The scale at which the scene fills the panel (the panel's height grows to MAX_HEIGHT first). */
  private fitScale(scene: Scene, hgt = MAX_HEIGHT): number {
    const w = this.host.clientWidth || 700;
    const pad = 24;
    return Math.min(
      2,
      (w - pad) / Math.max(1, scene.placed.width),
      (hgt - pad) / Math.max(1, scene.placed.height),
    );
  }

  private fitView(): void {
    const scene = this.current;
    if (!scene) return;
    const w = this.host.clientWidth || 700;
    const hgt = this.host.clientHeight || 300;
    const k = this.fitScale(scene, hgt);
    this.view.k = k;
    this.view.tx = (w - scene.placed.width * k) / 2;
    this.view.ty = (hgt - scene.placed.height * k) / 2;
    this.drawnKey = '';
  }

  private drawEdges(scene: Scene): void {
    const { ctx } = this;
    ctx.beginPath();
    for (const pts of scene.placed.edges) {
      pts.forEach((p, i) => {
        if (i === 0) ctx.moveTo(p.x, p.y);
        else ctx.lineTo(p.x, p.y);
      });
    }
    ctx.strokeStyle = 'rgba(90, 104, 140, 0.55)';
    ctx.lineWidth = 1 / this.view.k;
    ctx.stroke();
  }

  private drawNodes(scene: Scene, w: number, hgt: number): void {
    const { ctx, view } = this;
    // The visible part of the world, to skip what is off screen.
    const x0 = -view.tx / view.k;
    const y0 = -view.ty / view.k;
    const x1 = x0 + w / view.k;
    const y1 = y0 + hgt / view.k;
    const dots = new Map<FunctionStatus, SceneNode[]>();
    for (const node of scene.nodes) {
      const p = scene.placed.at.get(node.key)!;
      const r = node.r + 40;
      if (p.x + r < x0 || p.x - r > x1 || p.y + r < y0 || p.y - r > y1) continue;
      if (node.kind === 'group')
        drawGroupNode(ctx, node.group, p, node.r, this.countsOf(node.group.ids), view.k);
      else if (scene.labelled)
        drawPill(
          ctx,
          node.id,
          p,
          node.r,
          STATUS_COLORS[this.statusOf(node.id)],
          groupColor(node.group.prefix),
        );
      else {
        const st = this.statusOf(node.id);
        (dots.get(st) ?? dots.set(st, []).get(st)!).push(node);
      }
    }
    // One path per state colour: thousands of dots cost a few fills, not thousands.
    for (const [st, list] of dots) {
      ctx.beginPath();
      for (const node of list) {
        const p = scene.placed.at.get(node.key)!;
        ctx.moveTo(p.x + node.r, p.y);
        ctx.arc(p.x, p.y, node.r, 0, Math.PI * 2);
      }
      ctx.fillStyle = STATUS_COLORS[st];
      ctx.fill();
    }
  }

  private drawSelection(scene: Scene): void {
    if (!this.selected) return;
    const node = scene.nodeOf.get(this.selected);
    const p = node && scene.placed.at.get(node.key);
    if (!node || !p) return;
    const { ctx, view } = this;
    ctx.beginPath();
    ctx.arc(p.x, p.y, node.r + 4 / view.k, 0, Math.PI * 2);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2 / view.k;
    ctx.stroke();
  }

  private nodeAt(clientX: number, clientY: number): SceneNode | undefined {
    const scene = this.current;
    if (!scene) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const { k, tx, ty } = this.view;
    const wx = (clientX - rect.left - tx) / k;
    const wy = (clientY - rect.top - ty) / k;
    // A few pixels of slack around tiny dots, so they can be hit at any zoom.
    const slack = 3 / k;
    let best: SceneNode | undefined;
    let bestD = Number.POSITIVE_INFINITY;
    for (const node of scene.nodes) {
      const p = scene.placed.at.get(node.key)!;
      const d = Math.hypot(p.x - wx, p.y - wy);
      const reach = (node.kind === 'function' && scene.labelled ? 32 : node.r) + slack;
      if (d <= reach && d < bestD) {
        best = node;
        bestD = d;
      }
    }
    return best;
  }
}

function describeGroup(node: SceneNode, c: StatusCounts, open: boolean): string[] {
  const parts = RING_ORDER.filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  return [
    `${node.group.key} · ${c.total} functions`,
    parts.join(' · ') || `${c.pending} pending`,
    open
      ? 'click to close the group'
      : c.total > MAX_EXPANDED_FUNCTIONS
        ? 'too many to open at once'
        : 'click to open the group',
  ];
}
