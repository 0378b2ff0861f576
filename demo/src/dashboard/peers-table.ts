/**
 * The peers of the source: platform, memory and, on a mesh, how this tab's link to it connected (under the name), capabilities, state and live load (functions running now / slots, and
 * functions finished in the current run). Each row carries the colour of its first lane, as in the task stream.
 */
import { laneColorOf, laneLabel } from '../common/colors.js';
import { h } from '../common/dom.js';
import type { RunModel } from '../run-model/run-model.js';
import type { PeerView } from '../run-source/types.js';

export interface PeersTable {
  update(peers: readonly PeerView[], model: RunModel | undefined): void;
}

export function createPeersTable(host: HTMLElement): PeersTable {
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'peers-table' },
    h(
      'thead',
      {},
      h('tr', {}, ...['peer', 'slots', 'speed', 'cpu', 'state', 'load', 'done'].map((t) => h('th', {}, t))),
    ),
    body,
  );
  host.replaceChildren(table);

  function update(peers: readonly PeerView[], model: RunModel | undefined): void {
    const rows = peers.map((p) => {
      let running = 0;
      let finished = 0;
      const lanes: string[] = [];
      if (model) {
        const byLane = model.runningByLane();
        for (const lane of model.lanes) {
          if (!p.ownsLane(lane)) continue;
          lanes.push(lane);
          running += byLane.get(lane) ?? 0;
        }
        for (const bar of model.bars) if (bar.outcome === 'succeeded' && p.ownsLane(bar.lane)) finished++;
      }
      const load = p.slots > 0 ? running / p.slots : 0;
      // The run's coordinator gave up on it (lost quorums, or delivered far less than it claimed): shown in the
      // state column whatever the peer itself says, with the coordinator's reason on hover.
      const quarantine = model?.quarantined.get(p.id);
      const state = quarantine === undefined ? p.state : 'quarantined';
      // One dot per lane (worker) of this peer, in the lane's colour, as in the task stream.
      const swatches = h(
        'span',
        { class: 'swatches' },
        ...lanes
          .slice(0, 8)
          .map((l) =>
            h('span', { class: 'swatch', title: laneLabel(l), style: `background:${laneColorOf(l)}` }),
          ),
      );
      const meter = h(
        'span',
        { class: 'meter' },
        h('span', { class: 'meter-fill', style: `width:${Math.min(100, load * 100)}%` }),
      );
      return h(
        'tr',
        {
          'data-peer': p.id,
          'data-state': state,
          ...(p.link && { 'data-link': p.link }),
          ...(quarantine !== undefined && { 'data-quarantined': quarantine }),
        },
        h(
          'td',
          { class: 'peer-name', title: p.id },
          h('div', {}, h('span', { class: 'label' }, p.label), swatches),
          h(
            'div',
            { class: 'sub' },
            // Roles besides contributing, and WebGPU, under the label: fewer columns keep the table narrow.
            [
              p.platform,
              ...(p.memoryGB === undefined ? [] : [`${p.memoryGB} GiB`]),
              ...(p.gpu ? ['GPU'] : []),
              ...(p.roles ?? []).filter((r) => r !== 'contribute'),
              // How this tab reached it: relay means through the TURN server.
              ...(p.link ? [p.link] : []),
            ].join(' · '),
          ),
        ),
        h('td', { class: 'num' }, String(p.slots)),
        h('td', { class: 'num' }, p.speed === undefined ? '—' : p.speed.toFixed(2)),
        h(
          'td',
          {
            class: 'num',
            title: p.readings?.cpu === undefined ? 'this peer does not report its CPU use' : '',
          },
          p.readings?.cpu === undefined ? '—' : `${Math.round(p.readings.cpu * 100)}%`,
        ),
        h(
          'td',
          {},
          h('span', { class: 'state', 'data-state': state, ...(quarantine && { title: quarantine }) }, state),
        ),
        h('td', { class: 'load' }, meter, h('span', { class: 'num' }, `${running}/${p.slots}`)),
        h('td', { class: 'num' }, String(finished)),
      );
    });
    body.replaceChildren(
      ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'no peers yet'))]),
    );
  }

  return { update };
}
