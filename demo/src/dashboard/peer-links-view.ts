/**
 * Who is linked to whom (run-model/peer-links.ts): a small diagram, the peers on a circle and a line per link
 * (dashed when relayed through TURN), and a table per link with how it connected, the inputs fetched over it,
 * its round trip and bandwidth per direction when measured, and who told us about it. Redrawn only when what it
 * shows changed.
 */
import { formatBytes, h, s } from '../common/dom.js';
import { type PeerLink, peerLinks } from '../run-model/peer-links.js';
import type { RunModel } from '../run-model/run-model.js';
import type { PeerView } from '../run-source/types.js';

export interface PeerLinksView {
  update(model: RunModel | undefined, peers: readonly PeerView[]): void;
  /** The links drawn last (for the browser tests through `handout.peerLinks()`). */
  readonly links: readonly PeerLink[];
}

export interface PeerLinksViewOptions {
  readonly laneName: (lane: string) => string;
  /** This tab's peer id and the run's coordinator, on a mesh. */
  readonly selfId: () => string | undefined;
  readonly coordinatorId: () => string | undefined;
}

const SIZE = 220;
const RADIUS = 80;

export function createPeerLinksView(host: HTMLElement, options: PeerLinksViewOptions): PeerLinksView {
  let drawn = '';
  let inputs = '';
  let shown: readonly PeerLink[] = [];
  return {
    update(model, peers) {
      // Reading every record is not free on a big run: only when the run or the peers' links moved.
      const links$ = peers.map((p) => `${p.id}=${p.link ?? ''}`).join(' ');
      const next = `${model?.version ?? -1}|${model?.summary ? 'done' : ''}|${links$}`;
      if (next === inputs) return;
      inputs = next;
      const records = model ? (model.summary?.functions ?? model.run.records()) : [];
      const ownLinks = new Map(peers.flatMap((p) => (p.link ? [[p.id, p.link] as const] : [])));
      const self = options.selfId();
      const coordinator = options.coordinatorId();
      const links = peerLinks({
        records,
        ...(coordinator !== undefined && { coordinator }),
        ...(self !== undefined && { self, ownLinks }),
      });
      const key = JSON.stringify(links);
      if (key === drawn) return;
      drawn = key;
      shown = links;
      host.replaceChildren(
        ...(links.length === 0
          ? [
              h(
                'p',
                { class: 'hint' },
                'no links known yet: they appear as peers fetch inputs from each other',
              ),
            ]
          : [diagram(links, options.laneName), table(links, options.laneName)]),
        h(
          'p',
          { class: 'hint' },
          'fetch = an input fetched over it (figures measured by the fetching peer) · coordinator = how it reached the peer · this tab = this page’s own link · dashed = relayed through TURN',
        ),
      );
    },
    get links() {
      return shown;
    },
  };
}

function diagram(links: readonly PeerLink[], name: (id: string) => string): SVGSVGElement {
  const ids = [...new Set(links.flatMap((l) => [l.a, l.b]))].sort();
  const at = new Map(
    ids.map((id, k) => {
      const angle = (2 * Math.PI * k) / ids.length - Math.PI / 2;
      return [id, { x: SIZE / 2 + RADIUS * Math.cos(angle), y: SIZE / 2 + RADIUS * Math.sin(angle) }];
    }),
  );
  const lines = links.map((l) => {
    const p = at.get(l.a)!;
    const q = at.get(l.b)!;
    const relayed = l.paths.some((path) => path.startsWith('relay'));
    return s(
      'line',
      {
        x1: p.x,
        y1: p.y,
        x2: q.x,
        y2: q.y,
        class: 'peer-link',
        stroke: relayed ? '#d08a2c' : '#5b8def',
        'stroke-width': Math.min(1 + Math.log2(1 + l.fetches), 6),
        ...(relayed && { 'stroke-dasharray': '5 3' }),
        'data-a': l.a,
        'data-b': l.b,
      },
      s('title', {}, `${name(l.a)} ↔ ${name(l.b)}: ${l.paths.join(', ') || 'how unknown'}`),
    );
  });
  const nodes = ids.map((id) => {
    const p = at.get(id)!;
    return s(
      'g',
      { class: 'peer-node', 'data-peer': id },
      s('circle', { cx: p.x, cy: p.y, r: 6, fill: '#9aa7c7' }),
      s(
        'text',
        {
          x: p.x,
          y: p.y + (p.y < SIZE / 2 ? -10 : 18),
          'text-anchor': 'middle',
          'font-size': 11,
          fill: 'currentColor',
        },
        name(id),
      ),
      s('title', {}, id),
    );
  });
  return s(
    'svg',
    { class: 'peer-links-diagram', viewBox: `0 0 ${SIZE} ${SIZE}`, width: SIZE, height: SIZE },
    ...lines,
    ...nodes,
  );
}

function table(links: readonly PeerLink[], name: (id: string) => string): HTMLTableElement {
  const bandwidth = (l: PeerLink): string =>
    l.bandwidth
      .map((b) => `${name(b.from)}→${name(b.to)} ${formatBytes(Math.round(b.bytesPerSecond))}/s`)
      .join(', ') || '—';
  return h(
    'table',
    { class: 'peers-table peer-links-table' },
    h(
      'thead',
      {},
      h('tr', {}, ...['link', 'how', 'fetches', 'rtt', 'bandwidth', 'seen by'].map((t) => h('th', {}, t))),
    ),
    h(
      'tbody',
      {},
      ...links.slice(0, 40).map((l) =>
        h(
          'tr',
          {
            'data-a': l.a,
            'data-b': l.b,
            'data-paths': l.paths.join(','),
            'data-seen-by': l.seenBy.join(','),
            ...(l.rttMs !== undefined && { 'data-rtt': l.rttMs }),
            'data-bandwidths': l.bandwidth.length,
          },
          h('td', { title: `${l.a} ↔ ${l.b}` }, `${name(l.a)} ↔ ${name(l.b)}`),
          h('td', {}, l.paths.join(', ') || 'unknown'),
          h('td', { class: 'num' }, String(l.fetches)),
          h('td', { class: 'num' }, l.rttMs === undefined ? '—' : `${l.rttMs.toFixed(1)} ms`),
          h('td', {}, bandwidth(l)),
          h('td', {}, l.seenBy.join(', ')),
        ),
      ),
    ),
  );
}
