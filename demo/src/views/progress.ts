/**
 * Progress of a run: a bar split by state (done, cached, running, failed/skipped), the percentage, the counts
 * and the elapsed time.
 */
import { formatMs, h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';

export interface ProgressView {
  update(): void;
}

export function createProgressView(host: HTMLElement, model: RunModel): ProgressView {
  const done = h('div', { class: 'seg seg-done' });
  const cached = h('div', { class: 'seg seg-cached' });
  const running = h('div', { class: 'seg seg-running' });
  const failed = h('div', { class: 'seg seg-failed' });
  const bar = h(
    'div',
    { class: 'progress-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 },
    done,
    cached,
    running,
    failed,
  );
  const percent = h('div', { class: 'progress-percent', 'data-testid': 'progress-percent' }, '0%');
  const counts = h('div', { class: 'progress-counts' });
  const status = h('span', { class: 'run-status', 'data-status': 'running' }, 'running');
  host.replaceChildren(h('div', { class: 'progress-head' }, percent, status), bar, counts);

  function update(): void {
    const c = model.counts();
    const ended = c.succeeded + c.failed + c.skipped + c.cancelled;
    const pct = c.total === 0 ? 100 : Math.floor((ended / c.total) * 100);
    const w = (n: number): string => `${c.total === 0 ? 0 : (n / c.total) * 100}%`;
    done.style.width = w(c.succeeded - c.cached);
    cached.style.width = w(c.cached);
    running.style.width = w(c.running);
    failed.style.width = w(c.failed + c.skipped + c.cancelled);
    bar.setAttribute('aria-valuenow', String(pct));
    percent.textContent = `${pct}%`;
    const elapsed = model.clockEnd() - model.startedAt;
    counts.textContent =
      `${ended} of ${c.total} functions · ${c.running} running · ${c.succeeded} succeeded` +
      (c.cached > 0 ? ` (${c.cached} from cache)` : '') +
      (c.failed > 0 ? ` · ${c.failed} failed` : '') +
      (c.skipped > 0 ? ` · ${c.skipped} skipped` : '') +
      ` · ${formatMs(elapsed)}`;
    const runStatus = model.summary?.status ?? 'running';
    status.dataset.status = runStatus;
    status.textContent = runStatus;
  }

  update();
  return { update };
}
