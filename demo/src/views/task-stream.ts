/**
 * The task stream, after Dask's dashboard: one lane per worker (locally) or per peer (on a mesh), time running
 * left to right, one bar per function attempt, coloured by function prefix; failed attempts red, cancelled ones
 * in the cancelled colour, copies that lost faded, cache hits hollow. The blank start of a lane (before its
 * first function) is hatched and says why on hover. Clicking a bar selects its function.
 *
 * Drawn on a canvas: the SVG version (one element per bar) made a 10,000-function local run take 170 s instead
 * of 8 s, the browser re-rendering every bar each redraw on the thread the run's scheduler shares. Here a
 * redraw is one pass of `fillRect`s, bars of one colour together. What was drawn is readable (`scene()`) for
 * tests, with each bar's place on the page.
 */
import { CACHED_COLOR, groupColor, laneColorOf, laneLabel, STATUS_COLORS } from '../common/colors.js';
import { formatMs, h } from '../common/dom.js';
import { pageTooltip } from '../common/tooltip.js';
import { functionPrefix } from '../run-model/dag-shape.js';
import type { RunModel, TaskBar } from '../run-model/run-model.js';

const LANE_H = 22;
const BAR_H = 16;
const LABEL_W = 122;
const AXIS_H = 22;
const RIGHT_PAD = 8;
/** A lead-in shorter than this share of the time axis is not marked (it would be a sliver). */
const MIN_LEAD_IN_SHARE = 0.02;
/** Bars are at least this wide, so sub-millisecond functions and cache hits stay visible. */
const MIN_BAR_PX = 1.5;

export interface TaskStreamOptions {
  /** The label of a lane. Default `laneLabel` (`worker 3`, a shortened peer id). */
  readonly laneName?: (lane: string) => string;
  /** Why a lane is blank before its first function. Default: a worker starting. */
  readonly leadIn?: (lane: string) => string;
  /** Called with the function id when a bar is clicked. Default: nothing. */
  readonly onSelect?: (id: string) => void;
}

/** One drawn bar, in page coordinates (CSS pixels, viewport). */
export interface DrawnBar {
  readonly id: string;
  readonly lane: string;
  readonly attempt: number;
  readonly outcome: TaskBar['outcome'];
  readonly cached: boolean;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface TaskStream {
  /** Draw the model's current state. */
  update(): void;
  /** The lanes and bars as last drawn. */
  scene(): { lanes: string[]; bars: DrawnBar[]; leadIns: Array<{ lane: string; ms: number }> };
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
  const canvas = h('canvas', { class: 'task-stream', role: 'img', 'aria-label': 'task stream' });
  host.replaceChildren(canvas);
  const ctx = canvas.getContext('2d')!;
  let frame = { t0: model.startedAt, pxPerMs: 1, width: 0 };

  const xOf = (t: number): number => LABEL_W + (t - frame.t0) * frame.pxPerMs;
  const rowOf = (lane: string): number => model.lanes.indexOf(lane);
  const barWidth = (bar: TaskBar, now: number): number =>
    Math.max(MIN_BAR_PX, ((bar.end ?? now) - bar.start) * frame.pxPerMs);

  function update(): void {
    const width = Math.max(200, host.clientWidth || 600);
    const height = Math.max(1, model.lanes.length) * LANE_H + AXIS_H;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const now = model.clockEnd();
    const span = Math.max(50, now - model.startedAt);
    frame = { t0: model.startedAt, pxPerMs: (width - LABEL_W - RIGHT_PAD) / span, width };
    canvas.dataset.lanes = String(model.lanes.length);
    canvas.dataset.bars = String(model.bars.length);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    drawLanes(width);
    drawLeadIns(span, now);
    drawBars(now);
    drawAxis(width, height, span);
  }

  function drawLanes(width: number): void {
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    model.lanes.forEach((lane, i) => {
      const y = i * LANE_H;
      if (i % 2 === 1) {
        ctx.fillStyle = 'rgba(255, 255, 255, 0.025)';
        ctx.fillRect(0, y, width, LANE_H);
      }
      ctx.fillStyle = laneColorOf(lane);
      ctx.beginPath();
      ctx.arc(8, y + LANE_H / 2, 4, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = '#8b94aa';
      ctx.fillText(clip(laneName(lane), LABEL_W - 22), 16, y + LANE_H / 2);
    });
  }

  function drawLeadIns(span: number, now: number): void {
    const first = model.firstStartByLane();
    ctx.strokeStyle = 'rgba(139, 148, 170, 0.35)';
    ctx.fillStyle = 'rgba(139, 148, 170, 0.12)';
    ctx.lineWidth = 1;
    for (const [i, lane] of model.lanes.entries()) {
      const gap = (first.get(lane) ?? now) - model.startedAt;
      if (gap <= span * MIN_LEAD_IN_SHARE) continue;
      const y = i * LANE_H + (LANE_H - BAR_H) / 2;
      const w = gap * frame.pxPerMs;
      ctx.fillRect(LABEL_W, y, w, BAR_H);
      ctx.save();
      ctx.beginPath();
      ctx.rect(LABEL_W, y, w, BAR_H);
      ctx.clip();
      ctx.beginPath();
      for (let x = LABEL_W - BAR_H; x < LABEL_W + w; x += 6) {
        ctx.moveTo(x, y + BAR_H);
        ctx.lineTo(x + BAR_H, y);
      }
      ctx.stroke();
      ctx.restore();
    }
  }

  function drawBars(now: number): void {
    // Bars of one fill together: a few thousand fillRects, a handful of style changes.
    const byStyle = new Map<string, TaskBar[]>();
    for (const bar of model.bars) {
      if (bar.lane === '') continue; // failed before reaching any peer: in the detail view only
      const key = styleOf(bar);
      (byStyle.get(key) ?? byStyle.set(key, []).get(key)!).push(bar);
    }
    for (const [key, bars] of byStyle) {
      const [fill, alpha, hollow] = key.split('|') as [string, string, string];
      ctx.globalAlpha = Number(alpha);
      ctx.fillStyle = fill;
      ctx.strokeStyle = CACHED_COLOR;
      for (const bar of bars) {
        const x = xOf(bar.start);
        const y = rowOf(bar.lane) * LANE_H + (LANE_H - BAR_H) / 2;
        const w = barWidth(bar, now);
        if (hollow === '1') ctx.strokeRect(x + 0.5, y + 0.5, Math.max(1, w - 1), BAR_H - 1);
        else ctx.fillRect(x, y, w, BAR_H);
      }
    }
    ctx.globalAlpha = 1;
    // Separators between neighbouring bars, so a run of short functions does not read as one long one.
    ctx.fillStyle = 'rgba(11, 14, 22, 0.9)';
    for (const bar of model.bars) {
      if (bar.lane === '' || barWidth(bar, now) < 4) continue;
      ctx.fillRect(xOf(bar.start), rowOf(bar.lane) * LANE_H + (LANE_H - BAR_H) / 2, 1, BAR_H);
    }
  }

  function drawAxis(width: number, height: number, span: number): void {
    const y = height - AXIS_H;
    ctx.strokeStyle = '#3a4560';
    ctx.fillStyle = '#8b94aa';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    ctx.beginPath();
    ctx.moveTo(LABEL_W, y + 2.5);
    ctx.lineTo(width - RIGHT_PAD, y + 2.5);
    const step = niceStep(span / 6);
    for (let t = 0; t <= span; t += step) {
      const x = Math.round(LABEL_W + t * frame.pxPerMs) + 0.5;
      ctx.moveTo(x, y + 2);
      ctx.lineTo(x, y + 6);
      ctx.fillText(formatMs(t), x, y + 17);
    }
    ctx.stroke();
    ctx.textAlign = 'start';
  }

  /** The bar under a page point, if any (the last drawn wins, as it is on top). */
  function barAt(clientX: number, clientY: number): TaskBar | undefined {
    const rect = canvas.getBoundingClientRect();
    const px = clientX - rect.left;
    const py = clientY - rect.top;
    const lane = model.lanes[Math.floor(py / LANE_H)];
    const within = py % LANE_H;
    if (lane === undefined || within < (LANE_H - BAR_H) / 2 || within > (LANE_H + BAR_H) / 2)
      return undefined;
    const now = model.clockEnd();
    // A bar under the point wins (the last drawn, as it is on top); else the nearest within two pixels, so the
    // thinnest bars can be hit.
    let hit: TaskBar | undefined;
    let near: TaskBar | undefined;
    let nearD = 2;
    for (const bar of model.bars) {
      if (bar.lane !== lane) continue;
      const x = xOf(bar.start);
      const w = barWidth(bar, now);
      if (px >= x && px <= x + w) hit = bar;
      else {
        const d = px < x ? x - px : px - (x + w);
        if (d <= nearD) {
          near = bar;
          nearD = d;
        }
      }
    }
    return hit ?? near;
  }

  function leadInAt(clientX: number, clientY: number): { lane: string; ms: number } | undefined {
    const rect = canvas.getBoundingClientRect();
    const lane = model.lanes[Math.floor((clientY - rect.top) / LANE_H)];
    if (lane === undefined) return undefined;
    const ms = (model.firstStartByLane().get(lane) ?? model.clockEnd()) - model.startedAt;
    const x = clientX - rect.left;
    return x >= LABEL_W && x <= LABEL_W + ms * frame.pxPerMs ? { lane, ms } : undefined;
  }

  const tooltip = pageTooltip();
  canvas.addEventListener('pointermove', (event) => {
    const bar = barAt(event.clientX, event.clientY);
    const rect = canvas.getBoundingClientRect();
    const lane = model.lanes[Math.floor((event.clientY - rect.top) / LANE_H)];
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
      return;
    }
    const lead = leadInAt(event.clientX, event.clientY);
    if (lead)
      tooltip.show(
        [`${formatMs(lead.ms)} before the first function`, leadIn(lead.lane)],
        event.clientX,
        event.clientY,
      );
    else if (lane !== undefined && event.clientX - rect.left < LABEL_W)
      tooltip.show([laneName(lane), lane], event.clientX, event.clientY);
    else tooltip.hide();
  });
  canvas.addEventListener('pointerleave', () => tooltip.hide());
  canvas.addEventListener('click', (event) => {
    const bar = barAt(event.clientX, event.clientY);
    if (bar) options.onSelect?.(bar.id);
  });

  return {
    update,
    scene() {
      const rect = canvas.getBoundingClientRect();
      const now = model.clockEnd();
      const first = model.firstStartByLane();
      return {
        lanes: [...model.lanes],
        bars: model.bars
          .filter((b) => b.lane !== '')
          .map((b) => ({
            id: b.id,
            lane: b.lane,
            attempt: b.attempt,
            outcome: b.outcome,
            cached: b.cached,
            x: rect.left + xOf(b.start),
            y: rect.top + rowOf(b.lane) * LANE_H + (LANE_H - BAR_H) / 2,
            width: barWidth(b, now),
            height: BAR_H,
          })),
        leadIns: model.lanes.map((lane) => ({ lane, ms: (first.get(lane) ?? now) - model.startedAt })),
      };
    },
  };
}

/** `fill|alpha|hollow` for a bar. */
function styleOf(bar: TaskBar): string {
  if (bar.cached) return `${CACHED_COLOR}|1|1`;
  switch (bar.outcome) {
    case 'failed':
      return `${STATUS_COLORS.failed}|1|0`;
    case 'cancelled':
      return `${STATUS_COLORS.cancelled}|1|0`;
    case 'superseded':
      return `${groupColor(functionPrefix(bar.id))}|0.3|0`;
    case 'running':
      return `${groupColor(functionPrefix(bar.id))}|0.75|0`;
    default:
      return `${groupColor(functionPrefix(bar.id))}|1|0`;
  }
}

/** Cuts a label to fit `px` (11 px text: about 6 px a character). */
function clip(text: string, px: number): string {
  const max = Math.floor(px / 6);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A round tick step (1, 2 or 5 × 10^k ms) close to `raw`. */
function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const f = raw / pow;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * pow;
}
