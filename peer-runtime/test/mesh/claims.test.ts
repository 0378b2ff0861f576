/**
 * Capabilities as claims on a coordinator with real worker pools: a peer that claims 64 slots and speed 1000
 * but runs one function at a time beside two honest one-slot peers. The real-process version is in
 * test/mesh/verify-processes.test.ts (the liar there claims the same).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../../src/dag/types.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

const BUSY = '(k, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return k; }';
const work = (n: number, ms: number): FunctionSpec[] =>
  Array.from({ length: n }, (_, k) =>
    fn(`f${k}`, [], BUSY, { extraArgs: [k, ms], cost: { estimateMs: ms } }),
  );

function shares(functions: readonly { peer?: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of functions) out[r.peer ?? '?'] = (out[r.peer ?? '?'] ?? 0) + 1;
  return out;
}

describe('capabilities are claims', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  const peers = [
    { id: 'h1' },
    { id: 'h2' },
    { id: 'boaster', claimedSlots: 64, capabilities: { cores: 64, speed: 1000 } },
  ];

  it('a peer claiming 64 slots and speed 1000 is not swamped with work and honest peers are not starved', async () => {
    mesh = createTestMesh(peers, { stragglers: false, rebalance: false });
    const summary = await mesh.coordinator.submit(work(30, 40)).done;
    expect(summary.status).toBe('succeeded');
    const got = shares(summary.functions);
    // Each peer really runs one function at a time: a fair share is 10 each (how the two honest ones split
    // theirs depends on how a loaded machine schedules their workers).
    expect(got.boaster ?? 0, JSON.stringify(got)).toBeLessThanOrEqual(14);
    expect((got.h1 ?? 0) + (got.h2 ?? 0), JSON.stringify(got)).toBeGreaterThanOrEqual(16);
    const boaster = mesh.coordinator.peers().find((p) => p.peerId === 'boaster')!;
    expect(boaster.cores).toBeLessThanOrEqual(3);
    // Its speed is what it delivered (about 1: 40 ms estimated, about 40 ms taken), not 1000.
    expect(boaster.speed).toBeLessThan(2);
  });

  it('believing the claims (claims: false, a mesh of your own machines) hands the boaster most of the run', async () => {
    mesh = createTestMesh(peers, { claims: false, stragglers: false, rebalance: false });
    const summary = await mesh.coordinator.submit(work(30, 40)).done;
    expect(summary.status).toBe('succeeded');
    const got = shares(summary.functions);
    expect(got.boaster ?? 0, JSON.stringify(got)).toBeGreaterThan(20);
  });
});
