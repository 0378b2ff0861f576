/**
 * A bar split by function state (succeeded apart from cached, running, failed, skipped, cancelled), as the run's
 * progress and each group's progress draw it. What is left is pending or queued.
 */
import { h } from '../common/dom.js';
import type { StatusCounts } from '../run-model/run-model.js';

const SEGMENTS = ['done', 'cached', 'running', 'failed', 'skipped', 'cancelled'] as const;

export interface StateBar {
  readonly element: HTMLDivElement;
  /** Sets the segments from the counts (all empty for undefined: nothing ran yet). */
  set(counts: StatusCounts | undefined): void;
}

export function createStateBar(attrs: Readonly<Record<string, string | number>> = {}): StateBar {
  const segs = SEGMENTS.map((k) => h('div', { class: `seg seg-${k}` }));
  const element = h('div', { class: 'progress-bar', ...attrs }, ...segs);
  return {
    element,
    set(c) {
      const total = Math.max(1, c?.total ?? 1);
      const widths = c
        ? [c.succeeded - c.cached, c.cached, c.running + c.dispatched, c.failed, c.skipped, c.cancelled]
        : [0, 0, 0, 0, 0, 0];
      widths.forEach((n, i) => {
        segs[i]!.style.width = `${(n / total) * 100}%`;
      });
    },
  };
}
