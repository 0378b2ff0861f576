import { describe, expect, it } from 'vitest';
import { createAllocator } from '../../src/scheduling/allocator.js';
import { createNetworkModel } from '../../src/scheduling/network.js';
import type { Allocator, PeerView, ReadyFunction, Strategy } from '../../src/scheduling/types.js';
import { peer, ready, spec } from './fixtures.js';

const MB = 1e6;

/** Three peers with unequal speeds and prices: cheap and slow, mid, fast and dear. */
function mesh(): PeerView[] {
  return [
    peer('cheap', { cores: 2, speed: 1, costRate: 0.1 }),
    peer('mid', { cores: 2, speed: 2, costRate: 1 }),
    peer('fast', { cores: 2, speed: 4, costRate: 2 }),
  ];
}

const network = createNetworkModel({ defaultBandwidth: 12.5 * MB, defaultLatencyMs: 20 });
const one = (a: Allocator, fns: ReadyFunction[], peers = mesh()) =>
  a.allocate({ functions: fns, peers, network });

describe('built-in strategies on a mesh of unequal peers', () => {
  it('first-available takes the first peer with room, in registration order', () => {
    const fns = [1, 2, 3].map((i) => ready(spec(`f${i}`)));
    const { assignments } = one(createAllocator('first-available'), fns);
    expect(assignments.map((a) => a.peerId)).toEqual(['cheap', 'cheap', 'mid']);
  });

  it('load-balanced spreads a batch evenly relative to slots', () => {
    const fns = [1, 2, 3, 4, 5, 6].map((i) => ready(spec(`f${i}`)));
    const { assignments } = one(createAllocator('load-balanced'), fns);
    const count = (id: string) => assignments.filter((a) => a.peerId === id).length;
    expect([count('cheap'), count('mid'), count('fast')]).toEqual([2, 2, 2]);
  });

  it('load-balanced avoids a peer that is already busy', () => {
    const peers = mesh().map((p) =>
      p.peerId === 'fast' ? { ...p, used: { ...p.used, cpu: 1 }, running: 1 } : p,
    );
    const { assignments } = one(createAllocator('load-balanced'), [ready(spec('f'))], peers);
    expect(assignments[0]?.peerId).toBe('mid');
  });

  it('cost-optimized picks the cheap peer even though it is slower', () => {
    const { assignments } = one(createAllocator('cost-optimized'), [
      ready(spec('f', [], { estimateMs: 1000 })),
    ]);
    expect(assignments).toEqual([{ functionId: 'f', peerId: 'cheap' }]);
  });

  it('cost-optimized counts the slot time spent fetching inputs the peer lacks', () => {
    // 100 MB held by `mid`: fetching it takes the cheap peer 8 s of billed slot time (0.8) > mid's 0.5 s run (0.5).
    const fn = ready(spec('f', ['input'], { estimateMs: 1000 }), {
      inputs: [{ producerId: 'input', bytes: 100 * MB, holders: ['mid'] }],
    });
    expect(one(createAllocator('cost-optimized'), [fn]).assignments[0]?.peerId).toBe('mid');
    // And the traffic price pushes the same way when it is set.
    const small = ready(spec('g', ['input'], { estimateMs: 1000 }), {
      inputs: [{ producerId: 'input', bytes: 1 * MB, holders: ['fast'] }],
    });
    expect(one(createAllocator('cost-optimized'), [small]).assignments[0]?.peerId).toBe('cheap');
    expect(
      one(createAllocator('cost-optimized', { transferCostPerGB: 1000 }), [small]).assignments[0]?.peerId,
    ).toBe('fast');
  });

  it('time-optimized picks the fast peer when it pays off, and the input holder when the transfer would not', () => {
    const plain = ready(spec('f', [], { estimateMs: 1000 }));
    expect(one(createAllocator('time-optimized'), [plain]).assignments[0]?.peerId).toBe('fast');
    // 200 MB on the cheap peer: 16 s to move, 1 s to run there; staying is faster.
    const heavy = ready(spec('g', ['big'], { estimateMs: 1000 }), {
      inputs: [{ producerId: 'big', bytes: 200 * MB, holders: ['cheap'] }],
    });
    expect(one(createAllocator('time-optimized'), [heavy]).assignments[0]?.peerId).toBe('cheap');
  });

  it('time-optimized places the highest priority first when slots are short', () => {
    const peers = [peer('fast', { speed: 4 }), peer('slow', { speed: 1 })];
    const fns = [ready(spec('low'), { priority: 1 }), ready(spec('high'), { priority: 9 })];
    const { assignments } = one(createAllocator('time-optimized'), fns, peers);
    expect(assignments).toEqual([
      { functionId: 'high', peerId: 'fast' },
      { functionId: 'low', peerId: 'slow' },
    ]);
  });

  it('locality places a function on the holder of its biggest inputs, and load-balances without inputs', () => {
    const fn = ready(spec('f', ['a', 'b']), {
      inputs: [
        { producerId: 'a', bytes: 50 * MB, holders: ['mid'] },
        { producerId: 'b', bytes: 1000, holders: ['fast'] },
      ],
    });
    expect(one(createAllocator('locality'), [fn]).assignments[0]?.peerId).toBe('mid');
    const free = [1, 2, 3].map((i) => ready(spec(`g${i}`)));
    expect(new Set(one(createAllocator('locality'), free).assignments.map((a) => a.peerId)).size).toBe(3);
  });
});

describe('waiting functions say why', () => {
  it('an unsatisfiable need is reported by name, a full mesh as busy', () => {
    const fns = [
      ready(spec('needs-gpu', [], { gpu: true })),
      ready(spec('needs-ram', [], { memoryMB: 64_000 })),
      ready(spec('pinned', [], {}, 'elsewhere')),
      ready(spec('eu-only', [], {}, { tags: ['eu'] })),
    ];
    const { assignments, waiting } = one(createAllocator('load-balanced'), fns);
    expect(assignments).toEqual([]);
    expect(waiting.map((w) => [w.functionId, w.reason, w.unmet])).toEqual([
      ['needs-gpu', 'unsatisfiable', 'gpu'],
      ['needs-ram', 'unsatisfiable', 'memoryMB 64000 > 8192'],
      ['pinned', 'unsatisfiable', "peer 'elsewhere'"],
      ['eu-only', 'unsatisfiable', "tag 'eu'"],
    ]);
    expect(waiting[0]?.message).toMatch(/needs-gpu.*gpu/);

    const full = mesh().map((p) => ({ ...p, used: { ...p.used, cpu: 2 }, running: 2 }));
    const busy = one(createAllocator('load-balanced'), [ready(spec('f'))], full);
    expect(busy.waiting[0]).toMatchObject({ functionId: 'f', reason: 'busy' });
  });

  it('paused peers take no work', () => {
    const peers = mesh().map((p) => ({ ...p, paused: p.peerId !== 'mid' }));
    const { assignments } = one(createAllocator('time-optimized'), [ready(spec('f'))], peers);
    expect(assignments).toEqual([{ functionId: 'f', peerId: 'mid' }]);
  });
});

describe('custom strategies and allocators go through the shared filter', () => {
  it('a strategy that names a peer outside the candidates is refused with the unmet need', () => {
    const stubborn: Strategy = { name: 'stubborn', pick: () => 'cheap' };
    const { assignments, waiting } = one(createAllocator(stubborn), [ready(spec('f', [], {}, 'fast'))]);
    expect(assignments).toEqual([]);
    expect(waiting[0]).toMatchObject({ functionId: 'f', reason: 'rejected', unmet: "peer 'fast'" });
  });

  it('a whole custom allocator cannot overfill a peer or ignore a pin', () => {
    const rogue: Allocator = {
      name: 'rogue',
      allocate: ({ functions }) => ({
        assignments: functions.map((f) => ({ functionId: f.spec.id, peerId: 'cheap' })),
        waiting: [],
      }),
    };
    const fns = [
      ready(spec('a')),
      ready(spec('b')),
      ready(spec('c')),
      ready(spec('d', [], {}, { peer: 'fast' })),
    ];
    const { assignments, waiting } = one(createAllocator(rogue), fns);
    expect(assignments).toEqual([
      { functionId: 'a', peerId: 'cheap' },
      { functionId: 'b', peerId: 'cheap' },
    ]);
    expect(waiting.map((w) => [w.functionId, w.reason, w.unmet])).toEqual([
      ['c', 'rejected', 'cpu 1 > 0 free'],
      ['d', 'rejected', "peer 'fast'"],
    ]);
  });

  it('an unknown strategy name is a clear error', () => {
    expect(() => createAllocator('fastest' as 'locality')).toThrow(/unknown allocation strategy 'fastest'/);
  });
});
