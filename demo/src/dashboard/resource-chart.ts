/**
 * Resource use over time: functions running in each lane (worker or peer), stacked, as a step area chart.
 * The dashed line is the capacity (total worker slots) when the source knows it.
 */
import { laneColorOf } from '../common/colors.js';
import { formatMs, s } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';

const HEIGHT = 120;
const LEFT = 28;
const BOTTOM = 18;
const BUCKETS = 240;

export interface ResourceChart {
  update(capacity?: number): void;
}

export function createResourceChart(host: HTMLElement, model: RunModel): ResourceChart {
  const svg = s('svg', {
    class: 'resource-chart',
    role: 'img',
    'aria-label': 'running functions per worker over time',
  });
  host.replaceChildren(svg);

  function update(capacity?: number): void {
    const width = Math.max(200, host.clientWidth || 400);
    svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    svg.setAttribute('height', String(HEIGHT));
    const t0 = model.startedAt;
    const span = Math.max(50, model.clockEnd() - t0);
    const lanes = model.lanes;
    const series = sampleRunning(model, lanes, t0, span);
    let peak = capacity ?? 0;
    for (const col of series)
      peak = Math.max(
        peak,
        col.reduce((a, b) => a + b, 0),
      );
    peak = Math.max(1, peak);
    const plotW = width - LEFT - 6;
    const plotH = HEIGHT - BOTTOM - 6;
    const x = (i: number): number => LEFT + (i / BUCKETS) * plotW;
    const y = (v: number): number => 6 + plotH - (v / peak) * plotH;

    const parts: SVGElement[] = [];
    // Stack lanes bottom-up: lane k's band lies between the sums of lanes < k and ≤ k.
    const below = new Array<number>(BUCKETS + 1).fill(0);
    lanes.forEach((lane, k) => {
      let top = '';
      let bottom = '';
      for (let i = 0; i <= BUCKETS; i++) {
        const lo = below[i]!;
        const hi = lo + (series[i]?.[k] ?? 0);
        top += `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(hi).toFixed(1)}`;
        bottom = `L${x(i).toFixed(1)},${y(lo).toFixed(1)}${bottom}`;
        below[i] = hi;
      }
      parts.push(
        s('path', { class: 'area', 'data-lane': lane, d: `${top}${bottom}Z`, fill: laneColorOf(lane) }),
      );
    });
    if (capacity !== undefined) {
      parts.push(s('line', { class: 'capacity', x1: LEFT, x2: width - 6, y1: y(capacity), y2: y(capacity) }));
    }
    parts.push(
      s('line', { class: 'axis', x1: LEFT, x2: width - 6, y1: y(0), y2: y(0) }),
      s('text', { class: 'tick', x: LEFT - 6, y: y(peak), dy: '0.35em', 'text-anchor': 'end' }, String(peak)),
      s('text', { class: 'tick', x: LEFT - 6, y: y(0), dy: '0.35em', 'text-anchor': 'end' }, '0'),
      s('text', { class: 'tick', x: width - 6, y: HEIGHT - 4, 'text-anchor': 'end' }, formatMs(span)),
      s('text', { class: 'tick', x: LEFT, y: HEIGHT - 4 }, '0 s'),
    );
    svg.replaceChildren(...parts);
  }

  return { update };
}

/**
 * For each of BUCKETS+1 time buckets, the most functions each lane ran at once during the bucket (so a function
 * shorter than a bucket still shows).
 */
function sampleRunning(model: RunModel, lanes: readonly string[], t0: number, span: number): number[][] {
  // Events arrive in any order across workers: sort by time, and at equal times apply ends before starts, so a
  // worker that picks up its next function in the same millisecond never counts as running two.
  const samples = [...model.load].sort((a, b) => a.at - b.at || a.delta - b.delta);
  const index = new Map(lanes.map((l, i) => [l, i]));
  const current = new Array<number>(lanes.length).fill(0);
  const out: number[][] = [];
  let j = 0;
  for (let i = 0; i <= BUCKETS; i++) {
    const t = t0 + (i / BUCKETS) * span;
    const peak = [...current];
    while (j < samples.length && samples[j]!.at <= t) {
      const sample = samples[j]!;
      const k = index.get(sample.lane);
      if (k !== undefined) {
        current[k] = Math.max(0, current[k]! + sample.delta);
        peak[k] = Math.max(peak[k]!, current[k]!);
      }
      j++;
    }
    out.push(peak);
  }
  return out;
}
