/**
 * What a verified function's record says (FunctionRecord.verification, coordinator/verify-record.ts), in-process
 * and at a remote submitter (over schema-checked run events), and a function's own `verify` policy overriding
 * the run's. In-memory transport with real worker pools; the liar is forging-pool.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionRecord } from '../../src/run/types.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { forgedValue } from './forging-pool.js';
import { createTestMesh, fn, layeredDag, type TestMesh } from './helpers.js';

const HEX = /^[0-9a-f]{64}$/;
const peersOf = (r: FunctionRecord) => new Set(r.history.map((h) => h.peer));
const byId = (records: readonly FunctionRecord[], id: string) => records.find((r) => r.id === id)!;

describe('the verification outcome on function records', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it("a verified function's record names the peers that agreed on it, and a rerun's names its cached holders", async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }]);
    const verify = { replicas: 2, trustAfter: 1000 };
    const run = mesh.coordinator.submit([fn('a', [], '() => 7'), fn('b', ['a'], '(a) => a * 6')], { verify });
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const r of summary.functions) {
      const v = r.verification;
      expect(v, r.id).toBeDefined();
      expect(v!.outcome, r.id).toBe('agreed');
      expect([...v!.agreed].sort(), r.id).toEqual(['h1', 'h2']);
      expect(v!.disagreed).toEqual([]);
      expect([v!.replicas, v!.quorum]).toEqual([2, 2]);
      expect(v!.digest, r.id).toMatch(HEX);
    }
    const again = mesh.coordinator.submit([fn('a', [], '() => 7'), fn('b', ['a'], '(a) => a * 6')], {
      verify,
    });
    const second = await again.done;
    expect(await again.result('b')).toBe(42);
    for (const r of second.functions) {
      expect(r.cached, r.id).toBe(true);
      expect(r.verification?.outcome, r.id).toBe('cached');
      expect(r.verification!.agreed.length, r.id).toBeGreaterThanOrEqual(1);
      for (const p of r.verification!.agreed) expect(['h1', 'h2']).toContain(p);
    }
    // An unverified run's records say nothing of verification.
    const plain = await mesh.coordinator.submit([fn('c', [], '() => 1')]).done;
    expect(plain.functions[0]!.verification).toBeUndefined();
  });

  it('a function no quorum accepted names every peer that answered, as disagreeing', async () => {
    mesh = createTestMesh([{ id: 'honest' }, { id: 'liar', forge: true }]);
    const run = mesh.coordinator.submit([fn('a', [], '() => 42')], {
      verify: { replicas: 2, maxReplicas: 2 },
    });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const v = summary.functions[0]!.verification!;
    expect(v.outcome).toBe('unverified');
    expect(v.agreed).toEqual([]);
    expect([...v.disagreed].sort()).toEqual(['honest', 'liar']);
  });

  it('a remote submitter gets the outcome on its records, carried by the run events', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }, { id: 'liar', forge: true }]);
    const run = submitRemote(
      mesh.submitter('alice'),
      'coord',
      Array.from({ length: 6 }, (_, k) => fn(`f${k}`, [], '(k) => k + 100', { extraArgs: [k] })),
      { verify: { replicas: 3, trustAfter: 1000 } },
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const r of summary.functions) {
      const v = r.verification;
      expect(v, r.id).toBeDefined();
      expect(['agreed', 'disputed'], r.id).toContain(v!.outcome);
      expect(v!.agreed.length, r.id).toBeGreaterThanOrEqual(2);
      expect(v!.agreed, r.id).not.toContain('liar');
      // The accepted value came from a peer that agreed.
      expect(v!.agreed, r.id).toContain(r.peer);
      if (v!.outcome === 'disputed') expect(v!.disagreed, r.id).toEqual(['liar']);
      expect(v!.digest, r.id).toMatch(HEX);
    }
    for (let k = 0; k < 6; k++) expect(await run.result(`f${k}`)).toBe(k + 100);
  });
});

describe('a quarantine seen by a remote submitter', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('its run gets peer:quarantined with the reason the coordinator logged, carried by the run events', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }, { id: 'liar', forge: true }]);
    const quarantined: string[] = [];
    mesh.coordinator.on('peer:quarantined', ({ peerId, reason }) => quarantined.push(`${peerId}: ${reason}`));
    const { functions, expected } = layeredDag(4, 12);
    const run = submitRemote(mesh.submitter('alice'), 'coord', functions, {
      verify: { replicas: 2, trustAfter: 1000 },
    });
    const told: string[] = [];
    run.on('peer:quarantined', ({ peer, reason, at }) => {
      expect(at).toBeGreaterThan(0);
      told.push(`${peer}: ${reason}`);
    });
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const [id, value] of expected) expect(await run.result(id), id).toBe(value);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatch(/^liar: /);
    expect(told).toEqual(quarantined);
  });
});

describe("a function's own verify policy", () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('verify: { replicas: 2 } on one function of an unverified run replicates only that function', async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }]);
    const run = mesh.coordinator.submit([
      fn('a', [], '() => 5'),
      fn('b', ['a'], '(a) => a + 1', { verify: { replicas: 2, trustAfter: 1000 } }),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('b')).toBe(6);
    const a = byId(summary.functions, 'a');
    const b = byId(summary.functions, 'b');
    expect(a.history).toHaveLength(1);
    expect(a.verification).toBeUndefined();
    expect(peersOf(b)).toEqual(new Set(['h1', 'h2']));
    expect(b.verification?.outcome).toBe('agreed');
  });

  it("verify: false on one function of a verified run believes one peer (even a liar's answer), and lets a deterministic: false function run unpinned", async () => {
    mesh = createTestMesh([{ id: 'liar', forge: true }]);
    const run = mesh.coordinator.submit(
      [
        fn('cheap', [], '() => 1', { verify: false }),
        fn('rand', [], '() => Math.random()', { deterministic: false, verify: false }),
      ],
      { verify: { replicas: 2 } },
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const r of summary.functions) {
      expect(r.history, r.id).toHaveLength(1);
      expect(r.verification, r.id).toBeUndefined();
    }
    expect(await run.result('cheap')).toBe(forgedValue('cheap'));
  });

  it("a function's policy overrides the run's: replicas 3 where the run asks for 2", async () => {
    mesh = createTestMesh([{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }]);
    const run = mesh.coordinator.submit(
      [
        fn('a', [], '() => 1'),
        fn('b', [], '() => 2', { verify: { replicas: 3, quorum: 3, trustAfter: 1000 } }),
      ],
      { verify: { replicas: 2, trustAfter: 1000 } },
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    const a = byId(summary.functions, 'a');
    const b = byId(summary.functions, 'b');
    expect(peersOf(a).size).toBe(2);
    expect([a.verification!.replicas, a.verification!.quorum]).toEqual([2, 2]);
    expect(peersOf(b)).toEqual(new Set(['h1', 'h2', 'h3']));
    expect([b.verification!.replicas, b.verification!.quorum]).toEqual([3, 3]);
    expect([...b.verification!.agreed].sort()).toEqual(['h1', 'h2', 'h3']);
  });

  it('a bad function policy is refused at submission, naming the function', () => {
    mesh = createTestMesh([{ id: 'h1' }]);
    expect(() =>
      mesh!.coordinator.submit([fn('a', [], '() => 1', { verify: { replicas: 2, maxReplicas: 1 } })]),
    ).toThrow(/function 'a': verify\.maxReplicas/);
  });
});
