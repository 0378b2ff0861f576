import { describe, expect, it } from 'vitest';
import { createAllocator } from '../../src/scheduling/allocator.js';
import { planHeft } from '../../src/scheduling/heft.js';
import { SchedulingError } from '../../src/scheduling/needs.js';
import { createNetworkModel } from '../../src/scheduling/network.js';
import { simulate } from '../../src/scheduling/simulate.js';
import type { PeerResources } from '../../src/scheduling/types.js';
import { peer, spec } from './fixtures.js';

const free = createNetworkModel({ defaultLatencyMs: 0, defaultBandwidth: Number.POSITIVE_INFINITY });

/** A layered random-looking DAG with a fixed shape (deterministic, no RNG needed). */
function layered(width: number, depth: number) {
  const fns = [];
  for (let l = 0; l < depth; l++) {
    for (let i = 0; i < width; i++) {
      const args = l === 0 ? [] : [`n${l - 1}_${i}`, `n${l - 1}_${(i * 7 + 3) % width}`];
      fns.push(spec(`n${l}_${i}`, [...new Set(args)], { estimateMs: 10 + ((l * 31 + i * 17) % 90) }));
    }
  }
  return fns;
}

describe('simulate', () => {
  it('runs a chain at the speed of its peer', () => {
    const chain = [
      spec('a', [], { estimateMs: 100 }),
      spec('b', ['a'], { estimateMs: 100 }),
      spec('c', ['b'], { estimateMs: 100 }),
    ];
    const result = simulate(chain, [{ peerId: 'p', speed: 2 }], createAllocator('first-available'), {
      network: free,
    });
    expect(result.makespan).toBe(150);
    expect(result.perPeer.p).toEqual({ functions: 3, busyMs: 150 });
  });

  it('runs independent work in parallel on every slot', () => {
    const fns = [1, 2, 3, 4].map((i) => spec(`f${i}`, [], { estimateMs: 100 }));
    const result = simulate(fns, [{ peerId: 'a' }, { peerId: 'b' }], createAllocator('load-balanced'), {
      network: free,
    });
    expect(result.makespan).toBe(200);
    expect(new Set(result.placements.values())).toEqual(new Set(['a', 'b']));
  });

  it('holds the slot while inputs travel between peers', () => {
    const fns = [spec('a', [], { estimateMs: 100 }, 'p1'), spec('b', ['a'], { estimateMs: 100 }, 'p2')];
    const network = createNetworkModel({ defaultBandwidth: 12.5e6, defaultLatencyMs: 20 });
    const result = simulate(fns, [{ peerId: 'p1' }, { peerId: 'p2' }], createAllocator('first-available'), {
      network,
      edgeBytes: () => 12.5e6,
    });
    expect(result.makespan).toBe(100 + 1020 + 100);
    expect(result.bytesMoved).toBe(12.5e6);
    expect(result.schedule.find((e) => e.functionId === 'b')).toMatchObject({ placedMs: 100, startMs: 1120 });
  });

  it('time-optimized waits for the fast peer when that finishes sooner, load-balanced does not', () => {
    const fns = [spec('x', [], { estimateMs: 1000 }), spec('y', [], { estimateMs: 1000 })];
    const peers = [
      { peerId: 'fast', speed: 10 },
      { peerId: 'slow', speed: 1 },
    ];
    const views: PeerResources[] = peers.map((p) => peer(p.peerId, { speed: p.speed }));
    const plan = planHeft(fns, views, free);
    expect(
      simulate(fns, peers, createAllocator('time-optimized', { plan }), { network: free }).makespan,
    ).toBe(200);
    expect(simulate(fns, peers, createAllocator('load-balanced'), { network: free }).makespan).toBe(1000);
  });

  it('reproduces the HEFT plan when estimates are exact', () => {
    const fns = layered(8, 6);
    const peers = [
      { peerId: 'a', speed: 1 },
      { peerId: 'b', speed: 1 },
      { peerId: 'c', speed: 2, cores: 2 },
      { peerId: 'd', speed: 4 },
    ];
    const plan = planHeft(
      fns,
      peers.map((p) => peer(p.peerId, p)),
      free,
    );
    const result = simulate(fns, peers, createAllocator('time-optimized', { plan }), { network: free });
    expect(result.makespan).toBeCloseTo(plan.makespan, 9);
    for (const [id, planned] of plan.placements) expect(result.placements.get(id)).toBe(planned.peerId);
  });

  it('stops with an error naming the unmet need when nothing can run', () => {
    const fns = [spec('render', [], { gpu: true })];
    expect(() => simulate(fns, [{ peerId: 'cpu-only' }], createAllocator('load-balanced'))).toThrow(
      SchedulingError,
    );
    expect(() => simulate(fns, [{ peerId: 'cpu-only' }], createAllocator('load-balanced'))).toThrow(
      /render.*gpu/,
    );
  });
});
