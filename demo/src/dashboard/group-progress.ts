/**
 * Progress per function group, as Dask's main view has it: one bar per prefix (`tile`, `row`, `image`), split
 * into succeeded (cached apart), running, failed, skipped and cancelled, with the counts beside it. The rows
 * are made once per DAG; an update only sets widths and text.
 */
import { groupColor } from '../common/colors.js';
import { h } from '../common/dom.js';
import type { DagShape } from '../run-model/dag-shape.js';
import type { StatusCounts } from '../run-model/run-model.js';
import { createStateBar } from '../views/state-bar.js';

export interface GroupProgress {
  update(counts: (ids: readonly string[]) => StatusCounts | undefined): void;
}

export function createGroupProgress(host: HTMLElement, shape: DagShape): GroupProgress {
  const rows = [...shape.prefixes].map(([prefix, ids]) => {
    const bar = createStateBar();
    bar.element.classList.add('small');
    const figures = h('span', { class: 'group-figures num' });
    const row = h(
      'div',
      { class: 'group-row', 'data-group': prefix },
      h(
        'span',
        { class: 'group-name', title: `${ids.length} functions named ${prefix}…` },
        h('span', { class: 'swatch', style: `background:${groupColor(prefix)}` }),
        prefix,
      ),
      bar.element,
      figures,
    );
    return { prefix, ids, bar, figures, row };
  });
  host.replaceChildren(...rows.map((r) => r.row));

  return {
    update(counts) {
      for (const r of rows) {
        const c = counts(r.ids);
        const total = r.ids.length;
        r.bar.set(c);
        const extra = c
          ? [
              c.running + c.dispatched > 0 ? `${c.running + c.dispatched} running` : '',
              c.failed > 0 ? `${c.failed} failed` : '',
              c.cached > 0 ? `${c.cached} cached` : '',
              c.cancelled > 0 ? `${c.cancelled} cancelled` : '',
            ].filter(Boolean)
          : [];
        r.figures.textContent = `${c?.succeeded ?? 0} / ${total}${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
        r.row.dataset.succeeded = String(c?.succeeded ?? 0);
        r.row.dataset.running = String(c ? c.running + c.dispatched : 0);
        r.row.dataset.failed = String(c?.failed ?? 0);
        r.row.dataset.cached = String(c?.cached ?? 0);
        r.row.dataset.cancelled = String(c?.cancelled ?? 0);
        r.row.dataset.skipped = String(c?.skipped ?? 0);
        r.row.dataset.total = String(total);
      }
    },
  };
}
