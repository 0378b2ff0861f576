/**
 * The links between peers that a dashboard can know of, from what reaches it (no message of its own):
 * - `fetch`: an attempt's `fetchedFrom` (the run's records, carried to submitters on the run events): the peer
 *   that ran it fetched an input from a holder over a link that connected as `host/udp`, `relay/udp`, ...; the
 *   fetching peer adds its measured round trip and the bandwidth it received from the holder (mesh/link-meter.ts,
 *   the same figures it reports to its coordinator on `peer:status.links`), when it has them;
 * - `coordinator`: an attempt's `link`, how the coordinator's link to the peer that ran it connected;
 * - `this tab`: how this tab's own link to a peer connected (`Mesh.linkTo`).
 *
 * Everything here came from other peers: ids and link texts are used as text only, figures only when finite
 * and in range. Figures are the newest seen (by the attempt's end), per direction for bandwidth.
 */
import type { FunctionRecord } from '@handout/peer-runtime';

export type LinkSource = 'fetch' | 'coordinator' | 'this tab';
const SOURCES: readonly LinkSource[] = ['fetch', 'coordinator', 'this tab'];

export interface LinkBandwidth {
  /** The bytes flowed from `from` to `to`. */
  readonly from: string;
  readonly to: string;
  readonly bytesPerSecond: number;
}

/** One link between two peers, whichever way it was seen. */
export interface PeerLink {
  /** The two ends, `a < b`. */
  readonly a: string;
  readonly b: string;
  /** How it connected (`describeLinkPath` texts), each once, the most often seen first; `unknown` left out. */
  readonly paths: readonly string[];
  /** Inputs fetched over it, both ways. */
  readonly fetches: number;
  /** The newest measured round trip, ms. */
  readonly rttMs?: number;
  /** The newest measured bandwidth in each direction measured. */
  readonly bandwidth: readonly LinkBandwidth[];
  /** Who told us about it. */
  readonly seenBy: readonly LinkSource[];
}

export interface PeerLinksInput {
  readonly records: readonly FunctionRecord[];
  /** The run's coordinator: an attempt's `link` is its link to the attempt's peer. */
  readonly coordinator?: string;
  /** This tab's peer id and its own links (peer → link text), on a mesh. */
  readonly self?: string;
  readonly ownLinks?: ReadonlyMap<string, string>;
}

interface Building {
  a: string;
  b: string;
  paths: Map<string, number>;
  fetches: number;
  rtt?: { at: number; value: number };
  bandwidth: Map<string, { at: number; value: LinkBandwidth }>;
  seenBy: Set<LinkSource>;
}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
const figure = (v: unknown, min: number): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined;

export function peerLinks(input: PeerLinksInput): PeerLink[] {
  const links = new Map<string, Building>();
  const linkOf = (x: string, y: string): Building => {
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a}\u0000${b}`;
    let link = links.get(key);
    if (!link) {
      link = { a, b, paths: new Map(), fetches: 0, bandwidth: new Map(), seenBy: new Set() };
      links.set(key, link);
    }
    return link;
  };
  const notePath = (link: Building, path: unknown): void => {
    if (typeof path !== 'string' || path === '' || path === 'unknown' || path.length > 40) return;
    link.paths.set(path, (link.paths.get(path) ?? 0) + 1);
  };

  for (const record of input.records) {
    for (const attempt of record.history ?? []) {
      const ran = attempt.peer;
      if (!isId(ran)) continue;
      const at = figure(attempt.endedAt, 0) ?? figure(attempt.startedAt, 0) ?? 0;
      if (input.coordinator && ran !== input.coordinator && attempt.link !== undefined) {
        const link = linkOf(input.coordinator, ran);
        link.seenBy.add('coordinator');
        notePath(link, attempt.link);
      }
      for (const fetched of Array.isArray(attempt.fetchedFrom) ? attempt.fetchedFrom : []) {
        const holder = fetched?.peer;
        if (!isId(holder) || holder === ran) continue;
        const link = linkOf(holder, ran);
        link.seenBy.add('fetch');
        link.fetches++;
        notePath(link, fetched.link);
        const rtt = figure(fetched.rttMs, 0);
        if (rtt !== undefined && (!link.rtt || at >= link.rtt.at)) link.rtt = { at, value: rtt };
        const bps = figure(fetched.bytesPerSecond, Number.MIN_VALUE);
        const direction = `${holder}\u0000${ran}`;
        const before = link.bandwidth.get(direction);
        if (bps !== undefined && (!before || at >= before.at))
          link.bandwidth.set(direction, { at, value: { from: holder, to: ran, bytesPerSecond: bps } });
      }
    }
  }
  if (input.self)
    for (const [peer, path] of input.ownLinks ?? []) {
      if (!isId(peer) || peer === input.self) continue;
      const link = linkOf(input.self, peer);
      link.seenBy.add('this tab');
      notePath(link, path);
    }

  return [...links.values()]
    .map((l) => ({
      a: l.a,
      b: l.b,
      paths: [...l.paths].sort((x, y) => y[1] - x[1]).map(([p]) => p),
      fetches: l.fetches,
      ...(l.rtt && { rttMs: l.rtt.value }),
      bandwidth: [...l.bandwidth.values()].map((v) => v.value),
      seenBy: SOURCES.filter((s) => l.seenBy.has(s)),
    }))
    .sort((x, y) => y.fetches - x.fetches || x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
}
