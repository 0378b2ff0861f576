/**
 * Capabilities as claims on a coordinator with real worker pools: a peer that claims 64 slots and speed 1000
 * but runs one function at a time beside two honest one-slot peers. The real-process version is in
 * test/mesh/verify-processes.test.ts (the liar there claims the same).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TrustLedger } from '../../src/coordinator/trust-ledger.js';
import type { FunctionSpec } from '../../src/dag/types.js';
import { CapacityClaims } from '../../src/scheduling/claims.js';
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
    // And it lost trust for the claim: one contradiction, counted like a lost quorum (its clean streak is gone),
    // not yet a quarantine (its values were right). The honest peers' records are clean.
    const ledger = mesh.coordinator.ledger;
    expect(ledger.record('boaster')).toMatchObject({ contradictions: 1, disagreements: 1, streak: 0 });
    expect(ledger.quarantined('boaster')).toBe(false);
    for (const id of ['h1', 'h2']) expect(ledger.record(id).disagreements, id).toBe(0);
  });

  it('a contradicted claim and one lost quorum together quarantine a peer, naming both', () => {
    const ledger = new TrustLedger();
    expect(ledger.contradicted('boaster', 'speed 1000 advertised, 1 measured over 3 functions')).toBe(false);
    expect(ledger.disagreed('boaster')).toBe(true);
    const reason = ledger.record('boaster').quarantineReason;
    expect(reason).toMatch(/disagreed with the quorum 1 times/);
    expect(reason).toMatch(/contradicted its advertised capabilities 1 times/);
  });

  it('claims name a speed liar once, and never a peer within the factor', () => {
    const claims = new CapacityClaims({ minSamples: 3 });
    claims.claim('boaster', 1, 1000);
    claims.claim('honest', 1, 5);
    for (let k = 0; k < 6; k++) {
      for (const id of ['boaster', 'honest'])
        claims.completed(id, { endedAt: 1000 * k, reportedMs: 40, observedMs: 40, estimateMs: 40 });
      if (k === 1) expect(claims.takeContradiction('boaster')).toBeUndefined(); // 2 samples: not measured yet
    }
    expect(claims.takeContradiction('boaster')).toMatch(
      /^speed 1000 advertised, 1\.0 measured over 3 functions$/,
    );
    expect(claims.takeContradiction('boaster')).toBeUndefined();
    expect(claims.takeContradiction('honest')).toBeUndefined();
  });

  it('believing the claims (claims: false, a mesh of your own machines) hands the boaster most of the run', async () => {
    mesh = createTestMesh(peers, { claims: false, stragglers: false, rebalance: false });
    const summary = await mesh.coordinator.submit(work(30, 40)).done;
    expect(summary.status).toBe('succeeded');
    const got = shares(summary.functions);
    expect(got.boaster ?? 0, JSON.stringify(got)).toBeGreaterThan(20);
    expect(mesh.coordinator.ledger.record('boaster').disagreements).toBe(0);
  });
});
