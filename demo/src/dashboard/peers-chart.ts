/**
 * Peers over time: functions running on each peer (derived from the run's attempts, so it exists for every
 * peer and every run), and CPU and memory per peer where the peers report them (sampled; see
 * run-model/runtime-extras.ts). Where no peer reports CPU or memory, the chart says so instead of drawing zeros.
 */
import { laneColorOf } from '../common/colors.js';
import { h } from '../common/dom.js';
import type { PeerHistory } from '../run-model/peer-history.js';
import type { RunModel } from '../run-model/run-model.js';
import { peakPerBucket } from '../run-model/running.js';
import type { PeerView } from '../run-source/types.js';
import { createTimeChart, type TimeChart } from '../views/time-chart.js';

const BUCKETS = 200;
/** While a run goes, the charts are redrawn at most this often. */
const LIVE_REFRESH_MS = 500;

export interface PeersChart {
  update(peers: readonly PeerView[], model: RunModel | undefined): void;
}

export function createPeersChart(host: HTMLElement, history: PeerHistory): PeersChart {
  const runningHost = h('div', { class: 'chart', 'data-chart': 'running' });
  const cpuHost = h('div', { class: 'chart', 'data-chart': 'cpu' });
  const memHost = h('div', { class: 'chart', 'data-chart': 'memory' });
  const note = h('p', { class: 'hint chart-note', 'data-testid': 'peers-readings-note' });
  host.replaceChildren(
    h('h3', {}, 'running per peer'),
    runningHost,
    h('h3', {}, 'CPU per peer'),
    cpuHost,
    h('h3', {}, 'memory per peer'),
    memHost,
    note,
  );
  const running = createTimeChart(runningHost, { unit: 'running', height: 120 });
  let cpu: TimeChart | undefined;
  let mem: TimeChart | undefined;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawnFinal: RunModel | undefined;

  function update(peers: readonly PeerView[], model: RunModel | undefined): void {
    const now = performance.now();
    const final = model?.summary !== undefined;
    if (now - drawnAt < LIVE_REFRESH_MS && !(final && drawnFinal !== model)) return;
    drawnAt = now;
    if (final) drawnFinal = model;
    // Peers that ran something in this run, or give slots: the others (a pure submitter) have nothing to chart.
    const shown = peers.filter((p) => p.slots > 0 || (model?.lanes.some((l) => p.ownsLane(l)) ?? false));
    const color = (p: PeerView): string => laneColorOf(model?.lanes.find((l) => p.ownsLane(l)) ?? p.id);
    if (model) {
      const t0 = model.startedAt;
      const span = Math.max(50, model.clockEnd() - t0);
      const x = Array.from({ length: BUCKETS + 1 }, (_, i) => ((i / BUCKETS) * span) / 1000);
      running.update(
        x,
        shown.map((p) => ({
          label: p.label,
          color: color(p),
          values: peakPerBucket(
            model.totalSteps(model.lanes.filter((l) => p.ownsLane(l))),
            t0,
            span,
            BUCKETS,
          ),
        })),
      );
    }
    const since = model?.startedAt ?? history.samples[0]?.at ?? 0;
    const missing: string[] = [];
    for (const [field, chartHost, unit, scale] of [
      ['cpu', cpuHost, '%', 100],
      ['memoryMB', memHost, 'MiB', 1],
    ] as const) {
      const reported = history.reports(field);
      chartHost.hidden = !reported;
      (chartHost.previousElementSibling as HTMLElement).hidden = !reported;
      if (!reported) {
        missing.push(field === 'cpu' ? 'CPU' : 'memory');
        continue;
      }
      let chart = field === 'cpu' ? cpu : mem;
      if (!chart) {
        chart = createTimeChart(chartHost, { unit, height: 110 });
        if (field === 'cpu') cpu = chart;
        else mem = chart;
      }
      const cols = history.columns(
        shown.map((p) => p.id),
        field,
        since,
      );
      chart.update(
        cols.x,
        shown.map((p, k) => ({
          label: p.label,
          color: color(p),
          values: cols.values[k]!.map((v) => (v === null ? null : v * scale)),
        })),
      );
    }
    note.hidden = missing.length === 0;
    note.textContent =
      missing.length === 0
        ? ''
        : `${missing.join(' and ')}: not reported by ${shown.length === 1 ? 'this peer' : 'these peers'} (peers send them in their status once the runtime measures them)`;
  }

  return { update };
}
