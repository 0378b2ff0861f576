import { afterEach, describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import { portOf } from '../../src/mesh/port.js';
import type { ResultRecoveredMessage } from '../../src/protocol/messages.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

// No inline results anywhere: a value exists only in the store of the peer that produced it.
const noInline = { inlineLimitBytes: 0 };
const chain = [
  fn('a', [], '(n) => "x".repeat(n)', { extraArgs: [20_000] }),
  fn('b', ['a'], '(s) => s.length + 1'),
];

describe('final results whose holders are gone', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('are recomputed from the finished run’s lineage, inputs first, when an in-process submitter asks', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const run = mesh.coordinator.submit(chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    mesh.addAgent({ id: 'p2', options: noInline });
    expect(await run.result('b')).toBe(20_001);
    const b = run.records().find((r) => r.id === 'b')!;
    const a = run.records().find((r) => r.id === 'a')!;
    expect(b.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(a.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(mesh.coordinator.holders(b.hash)).toEqual(['p2']);
  });

  it('fail with a PeerError naming the function and the lost holders once the lineage is no longer kept', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }], { keepLineageMs: 0 });
    const run = mesh.coordinator.submit(chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const error = await run.result('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).message).toContain("'b'");
    expect((error as PeerError).message).toContain("'p1'");
    expect((error as PeerError).peerId).toBe('p1');
  });

  it('are recomputed through the coordinator when a remote submitter asks, and its records show the recompute', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    mesh.addAgent({ id: 'p2', options: noInline });
    expect(await run.result('b')).toBe(20_001);
    const b = run.records().find((r) => r.id === 'b')!;
    const a = run.records().find((r) => r.id === 'a')!;
    // The submitter's own records (rebuilt from the wire), not the coordinator's.
    expect(b.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(b.history[1]!.endedAt).toBeGreaterThanOrEqual(b.history[1]!.startedAt);
    expect(a.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(mesh.coordinator.holders(b.hash)).toEqual(['p2']);
    // Asked again, the value is at hand: nothing more is recomputed.
    expect(await run.result('b')).toBe(20_001);
    expect(b.history).toHaveLength(2);
  });

  it('fail with a PeerError naming the function and the lost holders for a remote submitter once the lineage is no longer kept', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }], { keepLineageMs: 100 });
    const run = submitRemote(mesh.submitter('alice'), 'coord', chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    mesh.addAgent({ id: 'p2', options: noInline });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const error = await run.result('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).message).toMatch(/'b'.*lost.*'p1'.*no longer keeps the lineage/);
    expect((error as PeerError).peerId).toBe('p1');
    expect(
      run
        .records()
        .find((r) => r.id === 'b')!
        .history.map((h) => h.peer),
    ).toEqual(['p1']);
    expect(mesh.agents.get('p2')!.agent.assigned).toBe(0);
  });

  it('let the oldest finished remote runs go first when the kept lineage passes its size cap', async () => {
    // Room for two runs of two functions: the third run pushes the first out.
    mesh = createTestMesh([{ id: 'p1', options: noInline }], { keepLineageMaxFunctions: 4 });
    const runs = [];
    for (const k of [1, 2, 3]) {
      const dag = [
        fn('a', [], '(n) => "x".repeat(n)', { extraArgs: [20_000 + k] }),
        fn('b', ['a'], '(s) => s.length + 1'),
      ];
      const run = submitRemote(mesh.submitter(`s${k}`), 'coord', dag);
      expect((await run.done).status).toBe('succeeded');
      runs.push(run);
    }
    await mesh.kill('p1');
    mesh.addAgent({ id: 'p2', options: noInline });
    const first = await runs[0]!.result('b').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(PeerError);
    expect((first as PeerError).message).toMatch(/no longer keeps the lineage/);
    expect(await runs[2]!.result('b')).toBe(20_004);
  });

  it('fail at once for a remote submitter whose coordinator is gone, naming the function and the lost holders', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    await mesh.coordinator.close();
    await mesh.coordinatorTransport.close();
    const error = await run.result('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).message).toMatch(/'b'.*lost.*'p1'.*coordinator 'coord'/);
  });

  it('do not keep a remote submitter waiting past its recovery timeout', async () => {
    // No peer is left to recompute on: the coordinator would wait for one (unsatisfiableTimeoutMs).
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', chain, { recoverTimeoutMs: 200 });
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    const error = await run.result('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).message).toMatch(
      /'b'.*lost.*'p1'.*did not answer the recovery within 200 ms/,
    );
  });

  it('are only recovered for the run’s own submitter, and only for functions of that run', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const alice = mesh.submitter('alice');
    const run = submitRemote(alice, 'coord', chain);
    expect((await run.done).status).toBe('succeeded');
    const mallory = portOf(mesh.submitter('mallory'));
    const answers: ResultRecoveredMessage[] = [];
    mallory.onMessage((_from, m) => {
      if (m.type === 'result:recovered') answers.push(m);
    });
    await mallory.send('coord', { type: 'result:recover', requestId: 1, runId: run.id, functionId: 'b' });
    await expect.poll(() => answers.length).toBe(1);
    expect(answers[0]).toMatchObject({ requestId: 1, runId: run.id, functionId: 'b', attempts: [] });
    expect(answers[0]!.location).toBeUndefined();
    expect(answers[0]!.error).toMatch(/no longer keeps the lineage of run/);
    expect(mesh.coordinator.holders(run.records()[1]!.hash)).toEqual(['p1']);
    const own = portOf(alice);
    own.onMessage((_from, m) => {
      if (m.type === 'result:recovered') answers.push(m);
    });
    await own.send('coord', { type: 'result:recover', requestId: 2, runId: run.id, functionId: 'zz' });
    await expect.poll(() => answers.length).toBe(2);
    expect(answers[1]!.error).toBe(`run '${run.id}' has no function 'zz'`);
  });
});
