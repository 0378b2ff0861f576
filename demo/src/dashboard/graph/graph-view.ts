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
  const canvas = h('canvas', { class: 'graph-canvas', 'aria-label': 'DAG of the run', role: 'img' });
  host.replaceChildren(canvas);
  const ctx = canvas.getContext('2d')!;
  let shape: DagShape | undefined;
  let expanded = new Set<string>();
  let scene: Scene | undefined;
  let states: GraphStates | undefined;
  let selected: string | undefined;
  const view = { k: 1, tx: 0, ty: 0 };
  let drawnKey = '';

  const statusOf = (id: string): FunctionStatus => states?.statusOf(id) ?? 'pending';
  const countsOf = (ids: readonly string[]): StatusCounts =>
    states?.counts(ids) ?? {
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
    };

  function rebuild(): void {
    if (!shape) return;
    const visibleFunctions = shape.groups.reduce((n, g) => n + (expanded.has(g.key) ? g.ids.length : 0), 0);
    const allFunctions = expanded.size === shape.groups.length;
    let labelled = allFunctions && visibleFunctions <= MAX_LABELLED;
    scene = buildScene(shape, expanded, labelled);
    // A deep, narrow graph reads better left to right on a wide panel.
    const tall = scene.placed.engine === 'dagre' && scene.placed.height > 1.5 * scene.placed.width;
    if (tall) scene = buildScene(shape, expanded, labelled, 'LR');
    // Labels drawn below 70% scale cannot be read: draw dots instead.
    if (labelled && fitScale(scene) < 0.7) {
      labelled = false;
      scene = buildScene(shape, expanded, labelled, tall ? 'LR' : 'TB');
    }
    canvas.dataset.functions = String(shape.layerOf.size);
    canvas.dataset.nodes = String(scene.nodes.length);
    canvas.dataset.engine = scene.placed.engine;
    canvas.dataset.collapsed = String(scene.nodes.filter((n) => n.kind === 'group').length);
    const width = host.clientWidth || 700;
    const aspect = (scene.placed.height + 40) / Math.max(1, scene.placed.width + 40);
    host.style.height = `${Math.round(Math.min(MAX_HEIGHT, Math.max(220, width * aspect)))}px`;
    fit();
  }

  /** The scale at which the scene fills the panel (the panel's height grows to MAX_HEIGHT first). */
  function fitScale(s: Scene, hgt = MAX_HEIGHT): number {
    const w = host.clientWidth || 700;
    const pad = 24;
    return Math.min(2, (w - pad) / Math.max(1, s.placed.width), (hgt - pad) / Math.max(1, s.placed.height));
  }

  function fit(): void {
    if (!scene) return;
    const w = host.clientWidth || 700;
    const hgt = host.clientHeight || 300;
    const k = fitScale(scene, hgt);
    view.k = k;
    view.tx = (w - scene.placed.width * k) / 2;
    view.ty = (hgt - scene.placed.height * k) / 2;
    drawnKey = '';
  }

  function draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = host.clientWidth || 700;
    const hgt = host.clientHeight || 300;
    const key = `${states?.version ?? -1}|${view.k}|${view.tx}|${view.ty}|${w}|${hgt}|${selected}|${scene?.nodes.length}`;
    if (key === drawnKey) return;
    drawnKey = key;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${hgt}px`;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!scene) return;
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.tx, dpr * view.ty);
    // The visible part of the world, to skip what is off screen.
    const x0 = -view.tx / view.k;
    const y0 = -view.ty / view.k;
    const x1 = x0 + w / view.k;
    const y1 = y0 + hgt / view.k;
    const visible = (x: number, y: number, r: number): boolean =>
      x + r >= x0 && x - r <= x1 && y + r >= y0 && y - r <= y1;

    ctx.beginPath();
    for (const pts of scene.placed.edges) {
      pts.forEach((p, i) => {
        if (i === 0) ctx.moveTo(p.x, p.y);
        else ctx.lineTo(p.x, p.y);
      });
    }
    ctx.strokeStyle = 'rgba(90, 104, 140, 0.55)';
    ctx.lineWidth = 1 / view.k;
    ctx.stroke();

    const labelled = scene.labelled;
    const dots = new Map<FunctionStatus, SceneNode[]>();
    for (const node of scene.nodes) {
      const p = scene.placed.at.get(node.key)!;
      if (!visible(p.x, p.y, node.r + 40)) continue;
      if (node.kind === 'group') drawGroupNode(ctx, node.group, p, node.r, countsOf(node.group.ids), view.k);
      else if (labelled)
        drawPill(ctx, node.id, p, node.r, STATUS_COLORS[statusOf(node.id)], groupColor(node.group.prefix));
      else {
        const st = statusOf(node.id);
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
    if (selected) {
      const node = scene.nodeOf.get(selected);
      const p = node && scene.placed.at.get(node.key);
      if (node && p) {
        ctx.beginPath();
        ctx.arc(p.x, p.y, node.r + 4 / view.k, 0, Math.PI * 2);
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2 / view.k;
        ctx.stroke();
      }
    }
  }

  function nodeAt(clientX: number, clientY: number): SceneNode | undefined {
    if (!scene) return undefined;
    const rect = canvas.getBoundingClientRect();
    const wx = (clientX - rect.left - view.tx) / view.k;
    const wy = (clientY - rect.top - view.ty) / view.k;
    // A few pixels of slack around tiny dots, so they can be hit at any zoom.
    const slack = 3 / view.k;
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

  function toggleGroup(key: string): void {
    if (!shape) return;
    const group = shape.groups.find((g) => g.key === key);
    if (!group) return;
    if (expanded.has(key)) expanded.delete(key);
    else if (group.ids.length <= MAX_EXPANDED_FUNCTIONS) expanded.add(key);
    rebuild();
  }

  wireInteractions(canvas, view, {
    redraw: () => {
      drawnKey = '';
      draw();
    },
    click(x, y) {
      const node = nodeAt(x, y);
      if (node?.kind === 'group') toggleGroup(node.group.key);
      else if (node) options.onSelect?.(node.id);
    },
    hover(x, y) {
      const node = nodeAt(x, y);
      if (!node) return pageTooltip().hide();
      const lines =
        node.kind === 'group'
          ? describeGroup(node, countsOf(node.group.ids), expanded.has(node.group.key))
          : [node.id, `${statusOf(node.id)} · group ${node.group.key}`, 'click for details'];
      pageTooltip().show(lines, x, y);
    },
  });

  return {
    setDag(next) {
      shape = next;
      expanded = initiallyExpanded(next);
      selected = undefined;
      rebuild();
      draw();
    },
    setStates(next) {
      states = next;
      drawnKey = '';
    },
    update: draw,
    toggleGroup,
    select(id) {
      selected = id;
      draw();
    },
    fit() {
      fit();
      draw();
    },
    scene() {
      if (!scene) return [];
      const rect = canvas.getBoundingClientRect();
      return scene.nodes.map((node) => {
        const p = scene!.placed.at.get(node.key)!;
        const base = {
          kind: node.kind,
          key: node.key,
          group: node.group.key,
          x: rect.left + view.tx + p.x * view.k,
          y: rect.top + view.ty + p.y * view.k,
          r: node.r * view.k,
        };
        if (node.kind === 'function') return { ...base, id: node.id, status: statusOf(node.id), count: 1 };
        const c = countsOf(node.group.ids);
        return { ...base, count: c.total, done: c.succeeded + c.failed + c.skipped };
      });
    },
  };
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

interface Interactions {
  redraw(): void;
  click(clientX: number, clientY: number): void;
  hover(clientX: number, clientY: number): void;
}

/** Wheel zoom at the pointer, drag to pan; a press that barely moved is a click. */
function wireInteractions(
  canvas: HTMLCanvasElement,
  view: { k: number; tx: number; ty: number },
  on: Interactions,
): void {
  canvas.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const mx = event.clientX - rect.left;
      const my = event.clientY - rect.top;
      const k = Math.min(12, Math.max(0.01, view.k * Math.exp(-event.deltaY * 0.0015)));
      view.tx = mx - ((mx - view.tx) * k) / view.k;
      view.ty = my - ((my - view.ty) * k) / view.k;
      view.k = k;
      on.redraw();
    },
    { passive: false },
  );
  let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
  canvas.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag) return on.hover(event.clientX, event.clientY);
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (Math.hypot(dx, dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    view.tx = drag.tx + dx;
    view.ty = drag.ty + dy;
    on.redraw();
  });
  canvas.addEventListener('pointerup', (event) => {
    const wasClick = drag && !drag.moved;
    drag = undefined;
    if (wasClick) on.click(event.clientX, event.clientY);
  });
  canvas.addEventListener('pointerleave', () => pageTooltip().hide());
}
