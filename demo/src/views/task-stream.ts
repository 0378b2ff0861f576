/**
 * The task stream, after Dask's dashboard: one lane per worker (locally) or per peer (on a mesh), time running
 * left to right, one bar per function attempt, coloured by function prefix; failed attempts red, cancelled ones
 * in the cancelled colour, copies that lost dashed, cache hits hollow. The blank start of a lane (before its
 * first function) is drawn hatched and says why it is blank. Clicking a bar selects its function.
 *
 * Bars are placed in milliseconds inside a group scaled to the panel, so as the clock advances only the group's
 * transform and the open bars change — not every bar.
 */
import { groupColor, laneColorOf, laneLabel } from '../common/colors.js';
import { formatMs, s } from '../common/dom.js';
import { pageTooltip } from '../common/tooltip.js';
import { functionPrefix } from '../run-model/dag-shape.js';
import type { RunModel, TaskBar } from '../run-model/run-model.js';

const LANE_H = 22;
const BAR_H = 16;
const LABEL_W = 96;
const AXIS_H = 22;
/** A lead-in shorter than this share of the time axis is not marked (it would be a sliver). */
const MIN_LEAD_IN_SHARE = 0.02;

export interface TaskStreamOptions {
  /** The label of a lane. Default `laneLabel` (`worker 3`, a shortened peer id). */
  readonly laneName?: (lane: string) => string;
  /** Why a lane is blank before its first function. Default: a worker starting. */
  readonly leadIn?: (lane: string) => string;
  /** Called with the function id when a bar is clicked. Default: nothing. */
  readonly onSelect?: (id: string) => void;
}

export interface TaskStream {
  /** Draw the model's current state (call once per animation frame while the run changes). */
  update(): void;
}

const OUTCOME_TEXT: Readonly<Record<TaskBar['outcome'], string>> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  superseded: 'copy not used (another copy finished first)',
};

export function createTaskStream(
  host: HTMLElement,
  model: RunModel,
  options: TaskStreamOptions = {},
): TaskStream {
  const laneName = options.laneName ?? laneLabel;
  const leadIn = options.leadIn ?? (() => 'starting the Web Worker (loading the runtime)');
  const svg = s('svg', { class: 'task-stream', role: 'img', 'aria-label': 'task stream' });
  const labels = s('g', { class: 'lane-labels' });
  const plot = s('g', { class: 'lanes' });
  const axis = s('g', { class: 'time-axis' });
  svg.append(labels, plot, axis);
  host.replaceChildren(svg);

  const laneGroups = new Map<string, { g: SVGGElement; lead: SVGRectElement }>();
  const barOf = new WeakMap<Element, TaskBar>();
  /** Bars whose rect still changes (open ones, and any bar not yet drawn in its final state). */
  const live = new Map<TaskBar, SVGRectElement>();
  let drawn = 0;
  let laneCount = -1;

  function laneGroup(lane: string): { g: SVGGElement; lead: SVGRectElement } {
    let entry = laneGroups.get(lane);
    if (!entry) {
      const lead = s('rect', { class: 'lead-in', 'data-lane': lane, y: (LANE_H - BAR_H) / 2, height: BAR_H });
      const g = s('g', { class: 'lane', 'data-lane': lane }, lead);
      entry = { g, lead };
      laneGroups.set(lane, entry);
      plot.append(g);
    }
    return entry;
  }

  function layoutLanes(width: number): void {
    labels.replaceChildren();
    model.lanes.forEach((lane, i) => {
      const y = i * LANE_H;
      laneGroup(lane).g.setAttribute('data-row', String(i));
      const text = s('text', { x: 16, y: y + LANE_H / 2, dy: '0.35em', 'data-lane': lane }, laneName(lane));
      labels.append(
        s('rect', { class: 'lane-bg', x: 0, y, width, height: LANE_H, 'data-odd': i % 2 === 1 }),
        s('circle', { cx: 8, cy: y + LANE_H / 2, r: 4, fill: laneColorOf(lane) }),
        text,
      );
    });
    laneCount = model.lanes.length;
  }

  function drawBar(bar: TaskBar, rect: SVGRectElement, now: number, pxPerMs: number): void {
    const end = bar.end ?? now;
    rect.setAttribute('x', String(bar.start - model.startedAt));
    // A minimum width keeps sub-millisecond functions and cache hits visible.
    rect.setAttribute('width', String(Math.max(end - bar.start, 1.5 / pxPerMs)));
    if (rect.dataset.outcome !== bar.outcome) {
      rect.dataset.outcome = bar.outcome;
      rect.dataset.cached = String(bar.cached);
    }
    if (bar.end !== undefined) live.delete(bar);
  }

  function update(): void {
    const width = Math.max(200, host.clientWidth || 600);
    const height = Math.max(1, model.lanes.length) * LANE_H + AXIS_H;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('height', String(height));
    if (laneCount !== model.lanes.length) layoutLanes(width);

    const t0 = model.startedAt;
    const now = model.clockEnd();
    const span = Math.max(50, now - t0);
    const pxPerMs = (width - LABEL_W - 8) / span;

    for (; drawn < model.bars.length; drawn++) {
      const bar = model.bars[drawn]!;
      if (bar.lane === '') continue; // failed before reaching any peer: listed in the detail view only
      const rect = s('rect', {
        class: 'bar',
        'data-id': bar.id,
        'data-lane': bar.lane,
        'data-attempt': bar.attempt,
        height: BAR_H,
        y: (LANE_H - BAR_H) / 2,
        fill: groupColor(functionPrefix(bar.id)),
      });
      barOf.set(rect, bar);
      live.set(bar, rect);
      laneGroup(bar.lane).g.append(rect);
    }
    for (const [bar, rect] of live) drawBar(bar, rect, now, pxPerMs);

    const first = model.firstStartByLane();
    for (const [lane, { g, lead }] of laneGroups) {
      const row = model.lanes.indexOf(lane);
      g.setAttribute('transform', `translate(${LABEL_W},${row * LANE_H}) scale(${pxPerMs},1)`);
      const gap = (first.get(lane) ?? now) - t0;
      const shown = gap > span * MIN_LEAD_IN_SHARE;
      lead.setAttribute('width', String(shown ? gap : 0));
      lead.dataset.ms = String(Math.round(gap));
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

  const tooltip = pageTooltip();
  svg.addEventListener('pointermove', (event) => {
    const target = event.target as Element;
    const bar = barOf.get(target);
    if (bar) {
      const took = bar.end === undefined ? 'running' : formatMs(bar.end - bar.start);
      tooltip.show(
        [
          bar.id,
          `attempt ${bar.attempt} · ${laneName(bar.lane)} · ${OUTCOME_TEXT[bar.outcome]}${bar.cached ? ' (cache hit)' : ''}`,
          `${took}${bar.error ? ` · ${bar.error.message}` : ''}`,
          'click for details',
        ],
        event.clientX,
        event.clientY,
      );
    } else if (target.classList.contains('lead-in')) {
      const lane = target.getAttribute('data-lane') ?? '';
      const ms = Number((target as SVGRectElement).dataset.ms);
      tooltip.show([`${formatMs(ms)} before the first function`, leadIn(lane)], event.clientX, event.clientY);
    } else if (target.tagName === 'text' && target.getAttribute('data-lane')) {
      tooltip.show([target.getAttribute('data-lane')!], event.clientX, event.clientY);
    } else tooltip.hide();
  });
  svg.addEventListener('pointerleave', () => tooltip.hide());
  svg.addEventListener('click', (event) => {
    const bar = barOf.get(event.target as Element);
    if (bar) options.onSelect?.(bar.id);
  });

  return { update };
}

/** A round tick step (1, 2 or 5 × 10^k ms) close to `raw`. */
function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const f = raw / pow;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * pow;
}
