/** Inputs that crossed between peers in the shown run, per link (run-model/link-flows.ts: an estimate). */
import { formatBytes, h } from '../common/dom.js';
import { linkFlows } from '../run-model/link-flows.js';
import type { RunModel } from '../run-model/run-model.js';
import { resultSize } from './function-facts.js';

export interface LinksTable {
  update(model: RunModel | undefined): void;
}

export function createLinksTable(
  host: HTMLElement,
  laneName: (lane: string) => string,
  peerOf: (lane: string) => string,
): LinksTable {
  let drawn = '';
  return {
    update(model) {
      const key = `${model?.version ?? -1}`;
      if (key === drawn) return;
      drawn = key;
      const flows = model ? linkFlows(model, (id) => resultSize(model, id), peerOf) : [];
      host.replaceChildren(
        flows.length === 0
          ? h('p', { class: 'hint' }, 'no inputs crossed between peers in this run')
          : h(
              'table',
              { class: 'peers-table links-table' },
              h('thead', {}, h('tr', {}, ...['from', 'to', 'inputs', 'bytes'].map((t) => h('th', {}, t)))),
              h(
                'tbody',
                {},
                ...flows
                  .slice(0, 20)
                  .map((f) =>
                    h(
                      'tr',
                      { 'data-from': f.from, 'data-to': f.to },
                      h('td', { title: f.from }, laneName(f.from)),
                      h('td', { title: f.to }, laneName(f.to)),
                      h('td', { class: 'num' }, String(f.inputs)),
                      h('td', { class: 'num' }, formatBytes(f.bytes)),
                    ),
                  ),
              ),
            ),
        h(
          'p',
          { class: 'hint' },
          'estimated from where each input was computed and where its consumer ran (cache hits and other holders not seen; results up to 16 KiB go through the coordinator)',
        ),
      );
    },
  };
}
