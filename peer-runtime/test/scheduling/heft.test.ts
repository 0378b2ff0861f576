import { describe, expect, it } from 'vitest';
import { planHeft } from '../../src/scheduling/heft.js';
import { createNetworkModel } from '../../src/scheduling/network.js';
import { peer, spec, TOPCUOGLU } from './fixtures.js';

function topcuoglu() {
  const ids = Object.keys(TOPCUOGLU.compute);
  const functions = ids.map((id) =>
    spec(
      id,
      TOPCUOGLU.edges.filter(([, to]) => to === id).map(([from]) => from),
    ),
  );
  const bytes = new Map(TOPCUOGLU.edges.map(([from, to, c]) => [`${from}>${to}`, c]));
  const peers = [peer('P1'), peer('P2'), peer('P3')];
  // 1000 bytes/s = 1 byte per ms and no latency: an edge's "bytes" are its communication cost in ms.
  const network = createNetworkModel({ defaultBandwidth: 1000, defaultLatencyMs: 0 });
  const index = { P1: 0, P2: 1, P3: 2 } as Record<string, number>;
  return planHeft(functions, peers, network, {
    edgeBytes: (from, to) => bytes.get(`${from}>${to}`) ?? 0,
    computeMs: (f, p) => TOPCUOGLU.compute[f.id]![index[p.peerId]!]!,
  });
}

describe('planHeft', () => {
  it('schedules the 10-task example of Topcuoglu et al. (2002) in 80 time units', () => {
    const plan = topcuoglu();
    expect(plan.makespan).toBe(80);
    expect(plan.unplaced).toEqual([]);
  });

  it('computes the published upward ranks and order of that example', () => {
    const plan = topcuoglu();
    expect(plan.ranks.get('n1')).toBeCloseTo(108, 5);
    expect(plan.ranks.get('n2')).toBeCloseTo(77, 5);
    expect(plan.ranks.get('n10')).toBeCloseTo(14.667, 2);
    expect(plan.order[0]).toBe('n1');
    expect(plan.order.at(-1)).toBe('n10');
  });
});
