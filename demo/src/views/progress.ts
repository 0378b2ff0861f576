/**
 * Progress of a run: a bar split by state (done, cached, running, failed, skipped, cancelled), the share of
 * functions that finished, the run's status, the counts and the elapsed time.
 *
 * The percentage counts functions that finished (succeeded, failed or skipped), not cancelled ones: a run
 * cancelled after a tenth of its work says "10% · cancelled", never "100%". "Running" is what runs now (at
 * most the peers' slots); functions a coordinator dispatched ahead to a busy peer are "waiting on a peer".
 */
import { formatMs, h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';
import { createStateBar } from './state-bar.js';

export interface ProgressView {
  update(): void;
}

export function createProgressView(host: HTMLElement, model: RunModel): ProgressView {
  const stateBar = createStateBar({ role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 });
  const bar = stateBar.element;
  const percent = h('div', { class: 'progress-percent', 'data-testid': 'progress-percent' }, '0%');
  const counts = h('div', { class: 'progress-counts', 'data-testid': 'progress-counts' });
  const status = h('span', { class: 'run-status', 'data-status': 'running' }, 'running');
  host.replaceChildren(h('div', { class: 'progress-head' }, percent, status), bar, counts);

  function update(): void {
    const c = model.counts();
    const finished = c.succeeded + c.failed + c.skipped;
    const pct = c.total === 0 ? 100 : Math.floor((finished / c.total) * 100);
    stateBar.set(c);
    bar.setAttribute('aria-valuenow', String(pct));
    percent.textContent = `${pct}%`;
    const elapsed = model.clockEnd() - model.startedAt;
    const parts = [
      `${finished} of ${c.total} functions`,
      `${c.running} running`,
      ...(c.dispatched > 0 ? [`${c.dispatched} waiting on a peer`] : []),
      `${c.succeeded} succeeded${c.cached > 0 ? ` (${c.cached} from cache)` : ''}`,
      ...(c.failed > 0 ? [`${c.failed} failed`] : []),
      ...(c.skipped > 0 ? [`${c.skipped} skipped`] : []),
      ...(c.cancelled > 0 ? [`${c.cancelled} cancelled`] : []),
      formatMs(elapsed),
    ];
    counts.textContent = parts.join(' · ');
    const runStatus = model.summary?.status ?? 'running';
    status.dataset.status = runStatus;
    status.textContent = runStatus;
  }

  update();
  return { update };
}
