/**
 * The runs this dashboard saw (since the page loaded), newest first, with status and duration; a click reopens
 * that run's views (its model keeps everything they draw).
 */
import { formatMs, h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';

export interface RunEntry {
  readonly key: number;
  readonly title: string;
  readonly model: RunModel;
}

export interface RunsList {
  update(runs: readonly RunEntry[], shown: RunEntry | undefined): void;
}

export function createRunsList(host: HTMLElement, onOpen: (entry: RunEntry) => void): RunsList {
  return {
    update(runs, shown) {
      host.replaceChildren(
        ...(runs.length === 0
          ? [h('p', { class: 'hint' }, 'no runs yet')]
          : [...runs].reverse().map((entry) => {
              const status = entry.model.summary?.status ?? 'running';
              const took = entry.model.clockEnd() - entry.model.startedAt;
              const button = h(
                'button',
                {
                  type: 'button',
                  class: 'run-item',
                  'data-run': entry.key,
                  'data-status': status,
                  'aria-current': entry === shown ? 'true' : undefined,
                },
                h('span', { class: 'run-title' }, `#${entry.key} ${entry.title}`),
                h('span', { class: 'run-status', 'data-status': status }, status),
                h('span', { class: 'hint num' }, `${entry.model.functions.length} fn · ${formatMs(took)}`),
              );
              button.onclick = () => onOpen(entry);
              return button;
            })),
      );
    },
  };
}
