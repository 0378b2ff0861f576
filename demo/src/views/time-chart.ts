/**
 * A time-series chart on uPlot (about 50 KB, canvas, with a cursor that reads out every series and drag-to-zoom
 * on the time axis; double-click resets). The chart is rebuilt only when its series change (a peer joins);
 * otherwise new data is set on the same instance.
 *
 * What was drawn is also written on the host element (`data-series`, `data-peak`, `data-peaks` per series,
 * `data-last`) so a test can check the figures the chart was given without reading pixels.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  /** One value per x; null where unknown (a gap, not a zero). */
  readonly values: ReadonlyArray<number | null>;
}

export interface TimeChartOptions {
  /** The y axis's unit, shown in the cursor read-out ("functions", "%", "MiB"). */
  readonly unit: string;
  /** Height in CSS pixels. Default 150. */
  readonly height?: number;
  /** Stack the series (each drawn on top of the ones before it) as filled steps. Default false: lines. */
  readonly stacked?: boolean;
  /** A dashed horizontal line (e.g. the mesh's total slots), when given. Default none. */
  readonly limitLabel?: string;
}

export interface TimeChart {
  /** `x` in seconds since the run started. `limit` draws the dashed line at that value. */
  update(x: readonly number[], series: readonly ChartSeries[], limit?: number): void;
  destroy(): void;
}

export function createTimeChart(host: HTMLElement, options: TimeChartOptions): TimeChart {
  let plot: uPlot | undefined;
  let signature = '';
  const height = options.height ?? 150;

  function build(series: readonly ChartSeries[], withLimit: boolean): uPlot {
    plot?.destroy();
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const drawn: uPlot.Series[] = [{ label: 's' }];
    // Stacked: series k is drawn as the sum of series 0..k, topmost sum first so each lower band paints over it.
    const order = options.stacked ? [...series.keys()].reverse() : [...series.keys()];
    for (const k of order) {
      const s = series[k]!;
      drawn.push({
        label: s.label,
        stroke: s.color,
        width: options.stacked ? 0 : 1.5,
        ...(options.stacked && { fill: s.color }),
        ...(stepped && { paths: stepped }),
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '—' : `${round(v)} ${options.unit}`),
      });
    }
    if (withLimit) {
      drawn.push({
        label: options.limitLabel ?? 'limit',
        stroke: '#8b94aa',
        dash: [4, 4],
        width: 1,
        points: { show: false },
      });
    }
    return new uPlot(
      {
        width: Math.max(200, host.clientWidth || 400),
        height,
        series: drawn,
        legend: { show: true, live: true },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [
          {
            stroke: '#8b94aa',
            grid: { stroke: '#1f2638' },
            values: (_u, ticks) => ticks.map((t) => `${round(t)} s`),
          },
          { stroke: '#8b94aa', grid: { stroke: '#1f2638' }, size: 40 },
        ],
      },
      [[], ...drawn.slice(1).map(() => [])],
      host,
    );
  }

  return {
    update(x, series, limit) {
      const sig = `${series.map((s) => `${s.label}:${s.color}`).join('|')}|${limit !== undefined}`;
      if (sig !== signature || !plot) {
        plot = build(series, limit !== undefined);
        signature = sig;
      }
      const order = options.stacked ? [...series.keys()].reverse() : [...series.keys()];
      const columns: Array<Array<number | null>> = [];
      const sums = x.map(() => 0);
      const stackedSums = series.map((s) =>
        x.map((_, i) => {
          sums[i] = sums[i]! + (s.values[i] ?? 0);
          return sums[i]!;
        }),
      );
      for (const k of order) columns.push(options.stacked ? stackedSums[k]! : [...series[k]!.values]);
      if (limit !== undefined) columns.push(x.map(() => limit));
      plot.setData([[...x], ...columns] as uPlot.AlignedData);
      const top = options.stacked
        ? (stackedSums[stackedSums.length - 1] ?? [])
        : series.flatMap((s) => s.values);
      let peak = 0;
      for (const v of top) if (v !== null && v > peak) peak = v;
      host.dataset.series = series.map((s) => s.label).join('\n');
      host.dataset.peak = String(peak);
      host.dataset.last = series.map((s) => String(s.values[s.values.length - 1] ?? '')).join(',');
      host.dataset.peaks = series.map((s) => String(Math.max(0, ...s.values.map((v) => v ?? 0)))).join(',');
      if (limit !== undefined) host.dataset.limit = String(limit);
      else delete host.dataset.limit;
    },
    destroy() {
      plot?.destroy();
      plot = undefined;
      signature = '';
    },
  };
}

function round(v: number): string {
  return Math.abs(v) >= 100
    ? v.toFixed(0)
    : Math.abs(v) >= 10
      ? v.toFixed(1)
      : String(Math.round(v * 100) / 100);
}
