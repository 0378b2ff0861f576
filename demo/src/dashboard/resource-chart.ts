/**
 * Functions running over time, stacked by lane (worker or peer), with the mesh's total slots as a dashed line.
 * The figures come from the run model's step functions (run-model/running.ts): each point is the most that ran
 * at once during its slice of time, so a function shorter than a slice still shows, and the stack can never
 * exceed the slots of the lanes in it.
 */
import { laneColorOf } from '../common/colors.js';
import type { RunModel } from '../run-model/run-model.js';
import { peakPerBucket } from '../run-model/running.js';
import { createTimeChart } from '../views/time-chart.js';

const BUCKETS = 240;
/** While the run goes, the chart is redrawn at most this often (a time series over seconds needs no more). */
const LIVE_REFRESH_MS = 400;

export interface ResourceChart {
  update(capacity?: number): void;
  destroy(): void;
}

export function createResourceChart(
  host: HTMLElement,
  model: RunModel,
  laneName: (lane: string) => string,
): ResourceChart {
  const chart = createTimeChart(host, { unit: 'running', stacked: true, limitLabel: 'slots', height: 140 });
  let drawn = '';
  let drawnAt = Number.NEGATIVE_INFINITY;
  return {
    update(capacity) {
      const t0 = model.startedAt;
      const span = Math.max(50, model.clockEnd() - t0);
      const key = `${model.version}|${span}|${capacity}`;
      const live = model.summary === undefined;
      if (key === drawn || (live && performance.now() - drawnAt < LIVE_REFRESH_MS)) return;
      drawn = key;
      drawnAt = performance.now();
      const x = Array.from({ length: BUCKETS + 1 }, (_, i) => ((i / BUCKETS) * span) / 1000);
      const byLane = model.stepsByLane();
      const series = model.lanes.map((lane) => ({
        label: laneName(lane),
        color: laneColorOf(lane),
        values: peakPerBucket(byLane.get(lane) ?? [], t0, span, BUCKETS),
      }));
      chart.update(x, series, capacity);
    },
    destroy: () => chart.destroy(),
  };
}
