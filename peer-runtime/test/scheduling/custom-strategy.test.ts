/**
 * The custom strategy of docs/allocators.md, verbatim: data residency. Functions pinned to a region's tag
 * (`node: { tags: ['eu'] }`) stay on peers of that region, cheapest first; other functions prefer peers outside
 * the region to keep it free for regulated work.
 */
import { describe, expect, it } from 'vitest';
import { createAllocator } from '../../src/scheduling/allocator.js';
import { leastLoaded } from '../../src/scheduling/strategies/load-balanced.js';
import type { Candidate, Strategy } from '../../src/scheduling/types.js';
import { peer, ready, spec } from './fixtures.js';

// --- the example from docs/allocators.md ---
function dataResidency(region: string): Strategy {
  const inRegion = (c: Candidate) => c.peer.tags.includes(region);
  return {
    name: `data-residency:${region}`,
    pick(fn, candidates) {
      const pin = fn.spec.node;
      const regional = typeof pin === 'object' && (pin.tags ?? []).includes(region);
      if (regional) {
        // The shared filter already kept only peers tagged with the region; pick the cheapest of them.
        return [...candidates].sort((a, b) => a.peer.costRate - b.peer.costRate)[0]?.peer.peerId;
      }
      // Unregulated work: keep regional peers free for regulated work while others have room.
      const outside = candidates.filter((c) => !inRegion(c));
      return leastLoaded(outside.length > 0 ? outside : candidates)?.peer.peerId;
    },
  };
}
// --- end of example ---

describe('a custom data-residency strategy', () => {
  const peers = [
    peer('paris', { tags: ['eu'], costRate: 2, cores: 2 }),
    peer('dublin', { tags: ['eu'], costRate: 1, cores: 1 }),
    peer('ohio', { tags: ['us'], costRate: 0.1, cores: 2 }),
  ];
  const allocator = createAllocator(dataResidency('eu'));

  it('keeps functions pinned to the eu tag on eu peers, cheapest first', () => {
    const fns = [
      ready(spec('patients', [], {}, { tags: ['eu'] })),
      ready(spec('invoices', [], {}, { tags: ['eu'] })),
    ];
    const { assignments } = allocator.allocate({ functions: fns, peers });
    expect(assignments).toEqual([
      { functionId: 'patients', peerId: 'dublin' },
      { functionId: 'invoices', peerId: 'paris' },
    ]);
  });

  it('sends untagged work outside the region while it has room', () => {
    const fns = [1, 2, 3].map((i) => ready(spec(`render${i}`)));
    const { assignments } = allocator.allocate({ functions: fns, peers });
    expect(assignments.map((a) => a.peerId)).toEqual(['ohio', 'ohio', 'paris']);
  });

  it('makes eu work wait (never leak to ohio) when the eu peers are full', () => {
    const full = peers.map((p) =>
      p.tags.includes('eu') ? { ...p, used: { ...p.used, cpu: p.cores }, running: p.cores } : p,
    );
    const { assignments, waiting } = allocator.allocate({
      functions: [ready(spec('patients', [], {}, { tags: ['eu'] }))],
      peers: full,
    });
    expect(assignments).toEqual([]);
    expect(waiting[0]).toMatchObject({ functionId: 'patients', reason: 'busy' });
  });
});
