import { describe, expect, it } from 'vitest';
import { createNetworkModel } from '../../src/scheduling/network.js';

describe('network model', () => {
  it('links never measured cost the default latency and bandwidth; a peer costs nothing to itself', () => {
    const model = createNetworkModel({ defaultBandwidth: 1e6, defaultLatencyMs: 7 });
    expect(model.latencyMs('a', 'b')).toBe(7);
    expect(model.bandwidth('a', 'b')).toBe(1e6);
    expect(model.transferMs('a', 'b', 2e6)).toBe(7 + 2000);
    expect(model.transferMs('a', 'a', 2e6)).toBe(0);
    expect(model.link('a', 'b')).toBeUndefined();
  });

  it('a measured link gives half its round trip as latency and its bytes per second as bandwidth, both ways', () => {
    const model = createNetworkModel();
    model.setLink('a', 'b', { rttMs: 10, bytesPerSecond: 4e6 });
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      expect(model.latencyMs(from, to)).toBe(5);
      expect(model.bandwidth(from, to)).toBe(4e6);
      expect(model.transferMs(from, to, 4e6)).toBe(5 + 1000);
    }
    expect(model.latencyMs('a', 'c')).toBe(20);
  });

  it('a one-way link leaves the other direction alone, and a new figure keeps the ones it lacks', () => {
    const model = createNetworkModel({ defaultBandwidth: 1e6 });
    model.setLink('a', 'b', { bytesPerSecond: 2e6 }, true);
    expect(model.bandwidth('a', 'b')).toBe(2e6);
    expect(model.bandwidth('b', 'a')).toBe(1e6);
    model.setLink('a', 'b', { rttMs: 30 }, true);
    expect(model.bandwidth('a', 'b')).toBe(2e6);
    expect(model.latencyMs('a', 'b')).toBe(15);
    expect(model.latencyMs('b', 'a')).toBe(20);
  });

  it('stamps a link with when it was recorded unless the measurer said when it measured it', () => {
    const model = createNetworkModel();
    const before = Date.now();
    model.setLink('a', 'b', { rttMs: 4 });
    const stamped = model.link('a', 'b')?.measuredAt;
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
    model.setLink('a', 'b', { rttMs: 6, measuredAt: 1234 });
    expect(model.link('a', 'b')).toEqual({ rttMs: 6, measuredAt: 1234 });
    expect(model.link('b', 'a')).toEqual({ rttMs: 6, measuredAt: 1234 });
  });
});
