/**
 * Result verification over the in-memory transport with real worker pools: a lying contributor (its pool
 * returns a forged value for everything, forging-pool.ts) among honest ones. The real-process version is
 * test/mesh/verify-processes.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CoordinatorEvents } from '../../src/coordinator/coordinator.js';
import { VerifyPolicyError } from '../../src/coordinator/verify-quorum.js';
import { TaskError } from '../../src/errors.js';
import { forgedValue } from './forging-pool.js';
import { createTestMesh, fn, layeredDag, type TestMesh } from './helpers.js';

describe('result verification (replicas, quorum, trust ledger)', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('with verify 2, a liar among three honest peers gets no forged value accepted, is quarantined, and a rerun is not served its values', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }, { id: 'liar', forge: true }]);
    const quarantined: CoordinatorEvents['peer:quarantined'][] = [];
    const disagreed: CoordinatorEvents['verify:disagreed'][] = [];
    mesh.coordinator.on('peer:quarantined', (e) => quarantined.push(e));
    mesh.coordinator.on('verify:disagreed', (e) => disagreed.push(e));
    const { functions, expected } = layeredDag(4, 12);
    // trustAfter beyond the run's length: every function is replicated (no spot-check draw decides the test).
    const verify = { replicas: 2, trustAfter: 1000 };
    const run = mesh.coordinator.submit(functions, { verify });
    const told: string[] = [];
    run.on('peer:quarantined', ({ peer, reason }) => told.push(`${peer}: ${reason}`));
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const [id, value] of expected) expect(await run.result(id), id).toBe(value);
    // Every value came from honest peers; every function ran on two distinct peers at least.
    for (const r of summary.functions) {
      expect(r.peer, r.id).not.toBe('liar');
      const peers = new Set(r.history.map((h) => h.peer));
      expect(peers.size, `${r.id}: ${JSON.stringify(r.history)}`).toBeGreaterThanOrEqual(2);
    }
    expect(quarantined.map((q) => q.peerId)).toEqual(['liar']);
    expect(quarantined[0]!.reason).toMatch(/disagreed with the quorum 2 times/);
    // The run in flight was told, with the ledger's reason (a dashboard marks the peer).
    expect(told).toEqual([`liar: ${quarantined[0]!.reason}`]);
    expect(disagreed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(disagreed.map((d) => d.peerId))).toEqual(new Set(['liar']));
    // The records show each disagreement: the liar's attempts are closed with it.
    const liarAttempts = summary.functions.flatMap((r) => r.history.filter((h) => h.peer === 'liar'));
    expect(liarAttempts.filter((h) => /disagreed/.test(h.error ?? '')).length).toBeGreaterThanOrEqual(2);
    for (const h of liarAttempts)
      expect(h.error ?? '').toMatch(/^(disagreed|cancelled|peer-lost: peer 'liar' was lost \(quarantined)/);
    expect(mesh.coordinator.peers().map((p) => p.peerId)).not.toContain('liar');

    // A rerun: served from the verified caches, never from the liar (whose cache still holds its forgeries).
    const again = mesh.coordinator.submit(functions, { verify });
    const second = await again.done;
    expect(second.status).toBe('succeeded');
    for (const [id, value] of expected) expect(await again.result(id), id).toBe(value);
    for (const r of second.functions) expect(r.peer).not.toBe('liar');
    // And an unverified rerun is not served its values either: the quarantine dropped its holdings.
    const plain = mesh.coordinator.submit(functions);
    await plain.done;
    for (const [id, value] of expected) expect(await plain.result(id), id).toBe(value);
  });

  it('without verify, a liar has its forged values accepted (the risk docs/security.md explains)', async () => {
    mesh = createTestMesh([{ id: 'liar', forge: true }]);
    const run = mesh.coordinator.submit([fn('a', [], '() => 41 + 1')]);
    await run.done;
    expect(await run.result('a')).toBe(forgedValue('a'));
  });

  it('fails a function with reason unverified, naming every answer, when no quorum is possible within maxReplicas', async () => {
    mesh = createTestMesh([{ id: 'honest' }, { id: 'liar', forge: true }]);
    const run = mesh.coordinator.submit([fn('a', [], '() => 42')], {
      verify: { replicas: 2, maxReplicas: 2 },
    });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const error = summary.functions[0]!.error as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    expect(error.reason).toBe('unverified');
    expect(error.message).toMatch(/function 'a'/);
    expect(error.message).toMatch(/no 2 of 2 answers agreed/);
    expect(error.message).toMatch(/'honest' → [0-9a-f]{12}/);
    expect(error.message).toMatch(/'liar' → [0-9a-f]{12}/);
  });

  it('three replicas with a quorum of two accept the honest majority at once', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }, { id: 'liar', forge: true }]);
    const run = mesh.coordinator.submit([fn('a', [], '() => 7'), fn('b', ['a'], '(a) => a * 6')], {
      verify: { replicas: 3, trustAfter: 1000 },
    });
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('b')).toBe(42);
    for (const r of summary.functions) {
      expect(['h1', 'h2']).toContain(r.peer);
      // The liar's replica either lost (its answer came before the quorum) or was cancelled by it.
      for (const h of r.history.filter((x) => x.peer === 'liar'))
        expect(h.error ?? '', r.id).toMatch(/^(disagreed|cancelled: a quorum agreed without it)/);
    }
  });

  it('spot-checks peers with a clean streak instead of replicating everything (adaptive replication)', async () => {
    // random() = 0.99 never draws a spot check at rate 0.1: once clean, a peer runs functions alone.
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }], { verifyRandom: () => 0.99 });
    const verify = { replicas: 2, trustAfter: 3 };
    const warm = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) => fn(`w${k}`, [], '(k) => k', { extraArgs: [k] })),
      { verify },
    );
    const first = await warm.done;
    expect(first.status).toBe('succeeded');
    for (const r of first.functions) expect(new Set(r.history.map((h) => h.peer)).size).toBe(2);
    const later = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) => fn(`x${k}`, [], '(k) => k * 2', { extraArgs: [k] })),
      { verify },
    );
    const second = await later.done;
    expect(second.status).toBe('succeeded');
    for (const r of second.functions) expect(r.history.length, r.id).toBe(1);
    for (let k = 0; k < 6; k++) expect(await later.result(`x${k}`)).toBe(k * 2);
  });

  it('refuses a verified run with an unpinned deterministic: false function, and runs a pinned one once', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }]);
    expect(() =>
      mesh!.coordinator.submit([fn('rand', [], '() => Math.random()', { deterministic: false })], {
        verify: { replicas: 2 },
      }),
    ).toThrow(VerifyPolicyError);
    expect(() =>
      mesh!.coordinator.submit([fn('rand', [], '() => Math.random()', { deterministic: false })], {
        verify: { replicas: 2 },
      }),
    ).toThrow(/function 'rand' is deterministic: false/);
    const run = mesh.coordinator.submit(
      [fn('rand', [], '() => Math.random()', { deterministic: false, node: { peer: 'h1' } })],
      { verify: { replicas: 2 } },
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions[0]!.history.map((h) => h.peer)).toEqual(['h1']);
  });

  it('refuses a bad policy naming the field', () => {
    mesh = createTestMesh([{ id: 'h1' }]);
    expect(() => mesh!.coordinator.submit([fn('a', [], '() => 1')], { verify: { replicas: 0 } })).toThrow(
      /verify\.replicas must be a whole number from 1 to 16, got 0/,
    );
    expect(() =>
      mesh!.coordinator.submit([fn('a', [], '() => 1')], { verify: { replicas: 2, quorum: 3 } }),
    ).toThrow(/verify\.quorum must be a whole number from 2 to replicas \(2\), got 3/);
  });
});
