/**
 * The task stream, after Dask's dashboard: one lane per worker (locally) or per peer (on a mesh), time running
 * left to right, one bar per function attempt, coloured by function group; failed attempts red, cache hits hollow.
 *
 * Bars are placed in milliseconds inside a group scaled to the panel, so as the clock advances only the group's
 * transform and the running bars change — not every bar.
 */
import { functionGroup, groupColor, laneColorOf, laneLabel } from '../common/colors.js';
import { formatMs, s } from '../common/dom.js';
import type { RunModel, TaskBar } from '../run-model/run-model.js';

const LANE_H = 22;
const BAR_H = 16;
const LABEL_W = 78;
const AXIS_H = 22;

export interface TaskStream {
  /** Draw the model's current state (call once per animation frame while the run changes). */
  update(): void;
}

export function createTaskStream(host: HTMLElement, model: RunModel): TaskStream {
  const svg = s('svg', { class: 'task-stream', role: 'img', 'aria-label': 'task stream' });
  const labels = s('g', { class: 'lane-labels' });
  const plot = s('g', { class: 'lanes' });
  const axis = s('g', { class: 'time-axis' });
  svg.append(labels, plot, axis);
  host.replaceChildren(svg);

  const laneGroups = new Map<string, SVGGElement>();
  const rects = new Map<TaskBar, SVGRectElement>();
  let drawn = 0;
  let laneCount = -1;

  function laneGroup(lane: string): SVGGElement {
    let g = laneGroups.get(lane);
    if (!g) {
      g = s('g', { class: 'lane', 'data-lane': lane });
      laneGroups.set(lane, g);
      plot.append(g);
    }
    return g;
  }

  function layoutLanes(width: number): void {
    labels.replaceChildren();
    model.lanes.forEach((lane, i) => {
      const y = i * LANE_H;
      laneGroup(lane).setAttribute('data-row', String(i));
      labels.append(
        s('rect', { class: 'lane-bg', x: 0, y, width, height: LANE_H, 'data-odd': i % 2 === 1 }),
        s('circle', { cx: 8, cy: y + LANE_H / 2, r: 4, fill: laneColorOf(lane) }),
        s('text', { x: 16, y: y + LANE_H / 2, dy: '0.35em' }, laneLabel(lane)),
      );
    });
    laneCount = model.lanes.length;
  }

  function update(): void {
    const width = Math.max(200, host.clientWidth || 600);
    const height = Math.max(1, model.lanes.length) * LANE_H + AXIS_H;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('height', String(height));
    if (laneCount !== model.lanes.length) layoutLanes(width);

    const t0 = model.startedAt;
    const span = Math.max(50, model.clockEnd() - t0);
    const pxPerMs = (width - LABEL_W - 8) / span;

    for (; drawn < model.bars.length; drawn++) {
      const bar = model.bars[drawn]!;
      const rect = s('rect', {
        class: 'bar',
        'data-id': bar.id,
        'data-lane': bar.lane,
        height: BAR_H,
        y: (LANE_H - BAR_H) / 2,
        fill: groupColor(functionGroup(bar.id)),
      });
      rect.append(s('title', {}, ''));
      rects.set(bar, rect);
      laneGroup(bar.lane).append(rect);
    }
    const now = model.clockEnd();
    for (const [bar, rect] of rects) {
      const end = bar.end ?? now;
      rect.setAttribute('x', String(bar.start - t0));
      // A minimum width keeps sub-millisecond functions and cache hits visible.
      rect.setAttribute('width', String(Math.max(end - bar.start, 1.5 / pxPerMs)));
      if (rect.dataset.outcome !== bar.outcome) {
        rect.dataset.outcome = bar.outcome;
        rect.dataset.cached = String(bar.cached);
        rect.firstElementChild!.textContent = `${bar.id} · ${laneLabel(bar.lane)} · ${bar.outcome}${bar.cached ? ' (cached)' : ''}${bar.end !== undefined ? ` · ${formatMs(bar.end - bar.start)}` : ''}`;
      }
    }
    if (model.bars.every((b) => b.end !== undefined)) {
      // Nothing running: finished bars never change again, stop touching them every frame.
      rects.clear();
    }
    for (const [lane, g] of laneGroups) {
      const row = model.lanes.indexOf(lane);
      g.setAttribute('transform', `translate(${LABEL_W},${row * LANE_H}) scale(${pxPerMs},1)`);
    }
    drawAxis(width, height, span, pxPerMs);
  }

  function drawAxis(width: number, height: number, span: number, pxPerMs: number): void {
    const y = height - AXIS_H;
    const step = niceStep(span / 6);
    const parts: SVGElement[] = [s('line', { x1: LABEL_W, x2: width - 8, y1: y + 2, y2: y + 2 })];
    for (let t = 0; t <= span; t += step) {
      const x = LABEL_W + t * pxPerMs;
      parts.push(
        s('line', { x1: x, x2: x, y1: y + 2, y2: y + 6 }),
        s('text', { x, y: y + 17, 'text-anchor': 'middle' }, formatMs(t)),
      );
    }
    axis.replaceChildren(...parts);
  }

  return { update };
}

/** A round tick step (1, 2 or 5 × 10^k ms) close to `raw`. */
function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const f = raw / pow;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * pow;
}
