import type { AttemptRecord, FunctionRecord } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { peerLinks } from '../src/run-model/peer-links.js';

const record = (id: string, history: AttemptRecord[]): FunctionRecord => ({
  id,
  hash: `h-${id}`,
  status: 'succeeded',
  attempts: history.length,
  history,
});
const attempt = (peer: string, endedAt: number, extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
  attempt: 1,
  peer,
  startedAt: endedAt - 1,
  endedAt,
  ...extra,
});

describe('the links between peers the dashboard knows of', () => {
  it('joins the fetches of both directions into one link, with its path, count, newest round trip and bandwidth per direction', () => {
    const records = [
      record('x', [
        attempt('p2', 20, {
          fetchedFrom: [
            { peer: 'p1', link: 'host/udp', rttMs: 4, bytesPerSecond: 1e6 },
            { peer: 'p3', link: 'relay/udp via tcp' },
          ],
        }),
      ]),
      // Earlier (ended at 10), listed later: its figures are older and must not replace the newer ones.
      record('y', [
        attempt('p2', 10, { fetchedFrom: [{ peer: 'p1', link: 'host/udp', rttMs: 9, bytesPerSecond: 5e5 }] }),
      ]),
      // The other direction of the same link.
      record('z', [
        attempt('p1', 30, { fetchedFrom: [{ peer: 'p2', link: 'host/udp', bytesPerSecond: 2e6 }] }),
      ]),
    ];
    expect(peerLinks({ records })).toEqual([
      {
        a: 'p1',
        b: 'p2',
        paths: ['host/udp'],
        fetches: 3,
        rttMs: 4,
        bandwidth: [
          { from: 'p1', to: 'p2', bytesPerSecond: 1e6 },
          { from: 'p2', to: 'p1', bytesPerSecond: 2e6 },
        ],
        seenBy: ['fetch'],
      },
      { a: 'p2', b: 'p3', paths: ['relay/udp via tcp'], fetches: 1, bandwidth: [], seenBy: ['fetch'] },
    ]);
  });

  it("adds the coordinator's links (an attempt's link) and this tab's own, and says who saw each", () => {
    const records = [
      record('x', [attempt('p1', 5, { link: 'prflx/udp', fetchedFrom: [{ peer: 'co', link: 'host/udp' }] })]),
      record('y', [attempt('p2', 6, { link: 'unknown' })]),
    ];
    const links = peerLinks({
      records,
      coordinator: 'co',
      self: 'tab',
      ownLinks: new Map([
        ['co', 'host/udp'],
        ['tab', 'host/udp'],
      ]),
    });
    const byPair = Object.fromEntries(links.map((l) => [`${l.a}-${l.b}`, l]));
    expect(Object.keys(byPair).sort()).toEqual(['co-p1', 'co-p2', 'co-tab']);
    // Seen both ways: fetched over (p1 fetched from the coordinator) and as the coordinator's link to p1.
    expect(byPair['co-p1']!.seenBy).toEqual(['fetch', 'coordinator']);
    expect([...byPair['co-p1']!.paths].sort()).toEqual(['host/udp', 'prflx/udp']);
    // `unknown` says nothing about how it connected.
    expect(byPair['co-p2']!.paths).toEqual([]);
    expect(byPair['co-tab']!.seenBy).toEqual(['this tab']);
  });

  it('ignores what a stranger got wrong: non-finite or negative figures, a holder that is not an id, a peer fetching from itself', () => {
    const bad = [
      { peer: 'p1', link: 'host/udp', rttMs: Number.NaN, bytesPerSecond: -5 },
      { peer: 42, link: 'host/udp' },
      { peer: 'p2', link: 'host/udp', rttMs: 3 },
      { peer: 'p1', link: 'x'.repeat(100), rttMs: Number.POSITIVE_INFINITY, bytesPerSecond: 0 },
    ] as unknown as AttemptRecord['fetchedFrom'];
    const links = peerLinks({ records: [record('x', [attempt('p2', 1, { fetchedFrom: bad })])] });
    expect(links).toEqual([
      { a: 'p1', b: 'p2', paths: ['host/udp'], fetches: 2, bandwidth: [], seenBy: ['fetch'] },
    ]);
  });
});
