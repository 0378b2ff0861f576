import { afterEach, describe, expect, it } from 'vitest';
import type { CoordinatorEvents } from '../../src/coordinator/coordinator.js';
import { DagValidationError, TaskError } from '../../src/errors.js';
import { STRATEGY_NAMES } from '../../src/scheduling/allocator.js';
import { createTestMesh, fn, layeredDag, sleep, type TestMesh } from './helpers.js';

describe('mesh coordinator', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('runs a diamond across peers and gives every function its correct result', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    const run = mesh.coordinator.submit([
      fn('a', [], '() => 2'),
      fn('b', ['a'], '(x) => x * 3'),
      fn('c', ['a'], '(x) => x + 1'),
      fn('d', ['b', 'c'], '(b, c) => b + c'),
    ]);
    expect(await run.result('d')).toBe(9);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const r of summary.functions) expect(['p1', 'p2']).toContain(r.peer);
  });

  it('runs a 1,000-function DAG on three peers with correct results, and every peer runs some of it', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }]);
    const { functions, expected } = layeredDag(10, 100);
    const run = mesh.coordinator.submit(functions);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const id of ['l0w0', 'l5w50', 'l9w99']) expect(await run.result(id)).toBe(expected.get(id));
    const ran = new Map<string, number>();
    for (const r of summary.functions) ran.set(r.peer!, (ran.get(r.peer!) ?? 0) + 1);
    expect([...ran.keys()].sort()).toEqual(['p1', 'p2', 'p3']);
    for (const count of ran.values()) expect(count).toBeGreaterThan(0);
  });

  it('honours pins and needs under every built-in strategy', async () => {
    mesh = createTestMesh([
      { id: 'cheap', capabilities: { costRate: 0 } },
      { id: 'gpu', capabilities: { gpu: true, tags: ['eu'], costRate: 5 } },
    ]);
    for (const strategy of STRATEGY_NAMES) {
      const run = mesh.coordinator.submit(
        [
          fn('pinned', [], '(s) => s + ":pinned"', { node: 'cheap', extraArgs: [strategy] }),
          fn('needs-gpu', [], '(s) => s + ":gpu"', { cost: { gpu: true }, extraArgs: [strategy] }),
          fn('tagged', ['pinned'], '(x) => x + ":eu"', { node: { tags: ['eu'] } }),
        ],
        { strategy },
      );
      const summary = await run.done;
      expect(summary.status, strategy).toBe('succeeded');
      const peerOf = (id: string) => summary.functions.find((r) => r.id === id)!.peer;
      expect(peerOf('pinned'), strategy).toBe('cheap');
      expect(peerOf('needs-gpu'), strategy).toBe('gpu');
      expect(peerOf('tagged'), strategy).toBe('gpu');
      expect(await run.result('tagged')).toBe(`${strategy}:pinned:eu`);
    }
  });

  it('cost-optimized places a function on the cheapest peer that meets its needs', async () => {
    mesh = createTestMesh([
      { id: 'dear', capabilities: { costRate: 9 } },
      { id: 'cheap', capabilities: { costRate: 1 } },
    ]);
    const run = mesh.coordinator.submit([fn('x', [], '() => 1')], { strategy: 'cost-optimized' });
    const summary = await run.done;
    expect(summary.functions[0]!.peer).toBe('cheap');
  });

  it('fails a function no peer can satisfy after the configured wait, naming the unmet need', async () => {
    mesh = createTestMesh([{ id: 'p1' }], { unsatisfiableTimeoutMs: 300 });
    const waiting: CoordinatorEvents['task:waiting'][] = [];
    mesh.coordinator.on('task:waiting', (w) => waiting.push(w));
    const run = mesh.coordinator.submit([
      fn('ok', [], '() => 1'),
      fn('needs-licence', [], '() => 2', { cost: { resources: { licence: 1 } } }),
      fn('after', ['needs-licence'], '(x) => x'),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(waiting.map((w) => [w.functionId, w.unmet])).toEqual([['needs-licence', 'licence 1 > 0']]);
    const error = await run.result('needs-licence').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).reason).toBe('unsatisfiable');
    expect((error as TaskError).message).toContain('licence 1 > 0');
    expect(summary.functions.find((r) => r.id === 'after')!.status).toBe('skipped');
    expect(await run.result('ok')).toBe(1);
  });

  it('a waiting function runs once a peer that meets its need joins', async () => {
    mesh = createTestMesh([{ id: 'p1' }], { unsatisfiableTimeoutMs: 10_000 });
    const waiting = new Promise((resolve) => mesh!.coordinator.on('task:waiting', resolve));
    const run = mesh.coordinator.submit([fn('g', [], '() => "on gpu"', { cost: { gpu: true } })]);
    await waiting;
    mesh.addAgent({ id: 'g1', capabilities: { gpu: true } });
    expect(await run.result('g')).toBe('on gpu');
    expect(run.records()[0]!.peer).toBe('g1');
  });

  it('re-runs the work of a peer that vanishes mid-run elsewhere, and the records show the re-runs', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }]);
    const functions = Array.from({ length: 12 }, (_, k) => fn(`s${k}`, [], sleep(150), { extraArgs: [k] }));
    functions.push(
      fn(
        'sum',
        functions.map((f) => f.id),
        '(...xs) => xs.reduce((a, b) => a + b, 0)',
      ),
    );
    const run = mesh.coordinator.submit(functions);
    await new Promise<void>((resolve) =>
      run.on('task:started', ({ peer }) => {
        if (peer === 'p2') resolve();
      }),
    );
    await mesh.kill('p2');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('sum')).toBe(66);
    const rerun = summary.functions.filter((r) =>
      r.history.some((h) => h.peer === 'p2' && h.error?.includes('peer-lost')),
    );
    expect(rerun.length).toBeGreaterThan(0);
    for (const r of rerun) {
      expect(r.peer).not.toBe('p2');
      expect(r.history.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('recomputes a result from lineage when the only peer holding it is gone and it is still needed', async () => {
    // No inline results: the value exists only in p1's store.
    mesh = createTestMesh([{ id: 'p1', options: { inlineLimitBytes: 0 } }], {
      unsatisfiableTimeoutMs: 20_000,
    });
    const run = mesh.coordinator.submit([
      fn('a', [], '(n) => "x".repeat(n)', { extraArgs: [20_000] }),
      fn('b', ['a'], '(s) => s.length + 1', { node: 'p2' }),
    ]);
    await new Promise<void>((resolve) => run.on('task:succeeded', ({ id }) => id === 'a' && resolve()));
    await mesh.kill('p1');
    mesh.addAgent({ id: 'p2', options: { inlineLimitBytes: 0 } });
    expect(await run.result('b')).toBe(20_001);
    const a = run.records().find((r) => r.id === 'a')!;
    expect(a.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(a.attempts).toBe(2);
  });

  it('a rerun of a finished DAG executes nothing: every record is cached and results come from the peers', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    const { functions, expected } = layeredDag(4, 10);
    const first = await mesh.coordinator.submit(functions).done;
    expect(first.functions.every((r) => r.cached === false)).toBe(true);
    const second = mesh.coordinator.submit(functions);
    let started = 0;
    second.on('task:started', () => started++);
    const summary = await second.done;
    expect(summary.status).toBe('succeeded');
    expect(started).toBe(0);
    expect(summary.functions.every((r) => r.cached === true)).toBe(true);
    expect(await second.result('l3w7')).toBe(expected.get('l3w7'));
  });

  it('retries with backoff on other peers and a function failing everywhere fails naming each attempt and peer', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }], { retryBackoffMs: 10 });
    const run = mesh.coordinator.submit([
      fn('bad', [], '() => { throw new Error("always") }', { retries: 2 }),
      fn('child', ['bad'], '(x) => x'),
    ]);
    const retried: number[] = [];
    run.on('task:retried', ({ delayMs }) => retried.push(delayMs));
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const bad = summary.functions.find((r) => r.id === 'bad')!;
    expect(bad.history.map((h) => h.attempt)).toEqual([1, 2, 3]);
    expect(new Set(bad.history.map((h) => h.peer)).size).toBe(3);
    for (const h of bad.history) expect(h.error).toContain('always');
    expect(retried).toEqual([10, 20]);
    const error = (await run.result('bad').catch((e: unknown) => e)) as TaskError;
    expect(error.reason).toBe('threw');
    for (const h of bad.history) expect(error.message).toContain(`on '${h.peer}'`);
    expect(summary.functions.find((r) => r.id === 'child')!.status).toBe('skipped');
  });

  it('rejects an invalid DAG submitted in-process with its issues', () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    expect(() => mesh!.coordinator.submit([fn('a', ['b'], '(x) => x'), fn('b', ['a'], '(x) => x')])).toThrow(
      DagValidationError,
    );
  });

  it('cancels a run: its functions end cancelled and the peers are told to stop', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    const run = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) => fn(`long${k}`, [], sleep(5_000), { extraArgs: [k] })),
    );
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    run.cancel('enough');
    const summary = await run.done;
    expect(summary.status).toBe('cancelled');
    expect(summary.functions.every((r) => r.status === 'cancelled')).toBe(true);
    await expect.poll(() => [...mesh!.agents.values()].map((a) => a.agent.assigned)).toEqual([0, 0]);
  });
});
