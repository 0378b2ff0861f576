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
  return new CanvasTaskStream(host, model, options);
}

class CanvasTaskStream implements TaskStream {
  private readonly laneName: (lane: string) => string;
  private readonly leadIn: (lane: string) => string;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** The time axis of the last redraw: its origin and scale. */
  private frame: { t0: number; pxPerMs: number; width: number };

  constructor(
    private readonly host: HTMLElement,
    private readonly model: RunModel,
    private readonly options: TaskStreamOptions,
  ) {
    this.laneName = options.laneName ?? laneLabel;
    this.leadIn = options.leadIn ?? (() => 'starting the Web Worker (loading the runtime)');
    this.canvas = h('canvas', { class: 'task-stream', role: 'img', 'aria-label': 'task stream' });
    host.replaceChildren(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
    this.frame = { t0: model.startedAt, pxPerMs: 1, width: 0 };
    this.listen();
  }

  update(): void {
    const width = Math.max(200, this.host.clientWidth || 600);
    const height = Math.max(1, this.model.lanes.length) * LANE_H + AXIS_H;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const now = this.model.clockEnd();
    const span = Math.max(50, now - this.model.startedAt);
    this.frame = { t0: this.model.startedAt, pxPerMs: (width - LABEL_W - RIGHT_PAD) / span, width };
    this.canvas.dataset.lanes = String(this.model.lanes.length);
    this.canvas.dataset.bars = String(this.model.bars.length);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.clearRect(0, 0, width, height);
    this.drawLanes(width);
    this.drawLeadIns(span, now);
    this.drawBars(now);
    this.drawAxis(width, height, span);
  }

  private drawLanes(width: number): void {
    this.ctx.font = '11px system-ui, sans-serif';
    this.ctx.textBaseline = 'middle';
    this.model.lanes.forEach((lane, i) => {
      const y = i * LANE_H;
      if (i % 2 === 1) {
        this.ctx.fillStyle = 'rgba(255, 255, 255, 0.025)';
        this.ctx.fillRect(0, y, width, LANE_H);
      }
      this.ctx.fillStyle = laneColorOf(lane);
      this.ctx.beginPath();
      this.ctx.arc(8, y + LANE_H / 2, 4, 0, Math.PI * 2);
      this.ctx.fill();
      this.ctx.fillStyle = '#8b94aa';
      this.ctx.fillText(clip(this.laneName(lane), LABEL_W - 22), 16, y + LANE_H / 2);
    });
  }

  private drawLeadIns(span: number, now: number): void {
    const first = this.model.firstStartByLane();
    this.ctx.strokeStyle = 'rgba(139, 148, 170, 0.35)';
    this.ctx.fillStyle = 'rgba(139, 148, 170, 0.12)';
    this.ctx.lineWidth = 1;
    for (const [i, lane] of this.model.lanes.entries()) {
      const gap = (first.get(lane) ?? now) - this.model.startedAt;
      if (gap <= span * MIN_LEAD_IN_SHARE) continue;
      const y = i * LANE_H + (LANE_H - BAR_H) / 2;
      const w = gap * this.frame.pxPerMs;
      this.ctx.fillRect(LABEL_W, y, w, BAR_H);
      this.ctx.save();
      this.ctx.beginPath();
      this.ctx.rect(LABEL_W, y, w, BAR_H);
      this.ctx.clip();
      this.ctx.beginPath();
      for (let x = LABEL_W - BAR_H; x < LABEL_W + w; x += 6) {
        this.ctx.moveTo(x, y + BAR_H);
        this.ctx.lineTo(x + BAR_H, y);
      }
      this.ctx.stroke();
      this.ctx.restore();
    }
  }

  private drawBars(now: number): void {
    // Bars of one fill together: a few thousand fillRects, a handful of style changes.
    const byStyle = new Map<string, TaskBar[]>();
    for (const bar of this.model.bars) {
      if (bar.lane === '') continue; // failed before reaching any peer: in the detail view only
      const key = styleOf(bar);
      (byStyle.get(key) ?? byStyle.set(key, []).get(key)!).push(bar);
    }
    for (const [key, bars] of byStyle) {
      const [fill, alpha, hollow] = key.split('|') as [string, string, string];
      this.ctx.globalAlpha = Number(alpha);
      this.ctx.fillStyle = fill;
      this.ctx.strokeStyle = CACHED_COLOR;
      for (const bar of bars) {
        const x = this.xOf(bar.start);
        const y = this.rowOf(bar.lane) * LANE_H + (LANE_H - BAR_H) / 2;
        const w = this.barWidth(bar, now);
        if (hollow === '1') this.ctx.strokeRect(x + 0.5, y + 0.5, Math.max(1, w - 1), BAR_H - 1);
        else this.ctx.fillRect(x, y, w, BAR_H);
      }
    }
    this.ctx.globalAlpha = 1;
    // Separators between neighbouring bars, so a run of short functions does not read as one long one.
    this.ctx.fillStyle = 'rgba(11, 14, 22, 0.9)';
    for (const bar of this.model.bars) {
      if (bar.lane === '' || this.barWidth(bar, now) < 4) continue;
      this.ctx.fillRect(this.xOf(bar.start), this.rowOf(bar.lane) * LANE_H + (LANE_H - BAR_H) / 2, 1, BAR_H);
    }
  }

  private drawAxis(width: number, height: number, span: number): void {
    const y = height - AXIS_H;
    this.ctx.strokeStyle = '#3a4560';
    this.ctx.fillStyle = '#8b94aa';
    this.ctx.font = '10px system-ui, sans-serif';
    this.ctx.textAlign = 'center';
    this.ctx.textBaseline = 'alphabetic';
    this.ctx.beginPath();
    this.ctx.moveTo(LABEL_W, y + 2.5);
    this.ctx.lineTo(width - RIGHT_PAD, y + 2.5);
    const step = niceStep(span / 6);
    for (let t = 0; t <= span; t += step) {
      const x = Math.round(LABEL_W + t * this.frame.pxPerMs) + 0.5;
      this.ctx.moveTo(x, y + 2);
      this.ctx.lineTo(x, y + 6);
      this.ctx.fillText(formatMs(t), x, y + 17);
    }
    this.ctx.stroke();
    this.ctx.textAlign = 'start';
  }

  /** The bar under a page point, if any (the last drawn wins, as it is on top). */
  private barAt(clientX: number, clientY: number): TaskBar | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const px = clientX - rect.left;
    const py = clientY - rect.top;
    const lane = this.model.lanes[Math.floor(py / LANE_H)];
    const within = py % LANE_H;
    if (lane === undefined || within < (LANE_H - BAR_H) / 2 || within > (LANE_H + BAR_H) / 2)
      return undefined;
    const now = this.model.clockEnd();
    // A bar under the point wins (the last drawn, as it is on top); else the nearest within two pixels, so the
    // thinnest bars can be hit.
    let hit: TaskBar | undefined;
    let near: TaskBar | undefined;
    let nearD = 2;
    for (const bar of this.model.bars) {
      if (bar.lane !== lane) continue;
      const x = this.xOf(bar.start);
      const w = this.barWidth(bar, now);
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

  private leadInAt(clientX: number, clientY: number): { lane: string; ms: number } | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const lane = this.model.lanes[Math.floor((clientY - rect.top) / LANE_H)];
    if (lane === undefined) return undefined;
    const ms = (this.model.firstStartByLane().get(lane) ?? this.model.clockEnd()) - this.model.startedAt;
    const x = clientX - rect.left;
    return x >= LABEL_W && x <= LABEL_W + ms * this.frame.pxPerMs ? { lane, ms } : undefined;
  }

  private xOf(t: number): number {
    return LABEL_W + (t - this.frame.t0) * this.frame.pxPerMs;
  }

  private rowOf(lane: string): number {
    return this.model.lanes.indexOf(lane);
  }

  private barWidth(bar: TaskBar, now: number): number {
    return Math.max(MIN_BAR_PX, ((bar.end ?? now) - bar.start) * this.frame.pxPerMs);
  }

  private listen(): void {
    const tooltip = pageTooltip();
    this.canvas.addEventListener('pointermove', (event) => {
      const bar = this.barAt(event.clientX, event.clientY);
      const rect = this.canvas.getBoundingClientRect();
      const lane = this.model.lanes[Math.floor((event.clientY - rect.top) / LANE_H)];
      if (bar) {
        const took = bar.end === undefined ? 'running' : formatMs(bar.end - bar.start);
        tooltip.show(
          [
            bar.id,
            `attempt ${bar.attempt} · ${this.laneName(bar.lane)} · ${OUTCOME_TEXT[bar.outcome]}${bar.cached ? ' (cache hit)' : ''}`,
            `${took}${bar.error ? ` · ${bar.error.message}` : ''}`,
            'click for details',
          ],
          event.clientX,
          event.clientY,
        );
        return;
      }
      const lead = this.leadInAt(event.clientX, event.clientY);
      if (lead)
        tooltip.show(
          [`${formatMs(lead.ms)} before the first function`, this.leadIn(lead.lane)],
          event.clientX,
          event.clientY,
        );
      else if (lane !== undefined && event.clientX - rect.left < LABEL_W)
        tooltip.show([this.laneName(lane), lane], event.clientX, event.clientY);
      else tooltip.hide();
    });
    this.canvas.addEventListener('pointerleave', () => tooltip.hide());
    this.canvas.addEventListener('click', (event) => {
      const bar = this.barAt(event.clientX, event.clientY);
      if (bar) this.options.onSelect?.(bar.id);
    });
  }

  scene(): ReturnType<TaskStream['scene']> {
    const rect = this.canvas.getBoundingClientRect();
    const now = this.model.clockEnd();
    const first = this.model.firstStartByLane();
    return {
      lanes: [...this.model.lanes],
      bars: this.model.bars
        .filter((b) => b.lane !== '')
        .map((b) => ({
          id: b.id,
          lane: b.lane,
          attempt: b.attempt,
          outcome: b.outcome,
          cached: b.cached,
          x: rect.left + this.xOf(b.start),
          y: rect.top + this.rowOf(b.lane) * LANE_H + (LANE_H - BAR_H) / 2,
          width: this.barWidth(b, now),
          height: BAR_H,
        })),
      leadIns: this.model.lanes.map((lane) => ({
        lane,
        ms: (first.get(lane) ?? now) - this.model.startedAt,
      })),
    };
  }
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
