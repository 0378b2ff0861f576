import { afterEach, describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import { submitRemote } from '../../src/mesh/remote-run.js';
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

  it('fail with a PeerError naming the function and the lost holders for a remote submitter', async () => {
    mesh = createTestMesh([{ id: 'p1', options: noInline }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', chain);
    expect((await run.done).status).toBe('succeeded');
    await mesh.kill('p1');
    const error = await run.result('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).message).toMatch(/'b'.*lost.*'p1'/);
  });
});
