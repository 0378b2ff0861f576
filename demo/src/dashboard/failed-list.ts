/** The functions that failed for good, each with its last error; a click opens its detail. */
import { h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';

export interface FailedList {
  update(model: RunModel | undefined): void;
}

/** At most this many are listed (the count says how many more). */
const MAX_LISTED = 200;

export function createFailedList(host: HTMLElement, onSelect: (id: string) => void): FailedList {
  let drawn = '';
  return {
    update(model) {
      const failed = model ? model.functions.filter((f) => model.status.get(f.id) === 'failed') : [];
      const key = `${model?.version ?? -1}:${failed.length}`;
      if (key === drawn) return;
      drawn = key;
      const card = host.closest('section');
      if (card) card.hidden = failed.length === 0;
      host.replaceChildren(
        ...failed.slice(0, MAX_LISTED).map((f) => {
          const attempts = model!.attemptsOf(f.id);
          const last = [...attempts].reverse().find((a) => a.error);
          const button = h(
            'button',
            { type: 'button', class: 'failed-item', 'data-id': f.id },
            h('strong', {}, f.id),
            h('span', { class: 'hint' }, ` · ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`),
            h('div', { class: 'error-message' }, last?.error?.message ?? 'no error message'),
          );
          button.onclick = () => onSelect(f.id);
          return button;
        }),
        ...(failed.length > MAX_LISTED
          ? [h('p', { class: 'hint' }, `and ${failed.length - MAX_LISTED} more`)]
          : []),
      );
    },
  };
}
