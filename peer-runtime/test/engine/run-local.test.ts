import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/engine/run-local.js';
import {
  CancelledError,
  DagValidationError,
  HandoutError,
  SkippedError,
  TaskError,
} from '../../src/errors.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { failsOnceSource, fn, logEvents } from './helpers.js';

describe('runLocal', () => {
  let pool: WorkerPool;
  let trusted: WorkerPool;
  let dir: string;
  let files = 0;
  const marker = (): string => join(dir, `marker-${files++}`);

  beforeAll(() => {
    pool = createWorkerPool({ size: 2 });
    // For the tests that script failures with node:fs markers and process.exit (the sandbox would refuse them).
    trusted = createWorkerPool({ size: 2, trustCode: true });
    dir = mkdtempSync(join(tmpdir(), 'handout-engine-'));
  });
  afterAll(async () => {
    await Promise.all([pool.close(), trusted.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a diamond on its own pool and gives every function its correct result', async () => {
    const run = runLocal(
      [
        fn('a', [], '() => 2'),
        fn('b', ['a'], '(x) => x * 3'),
        fn('c', ['a'], '(x) => x + 1'),
        fn('d', ['b', 'c'], '(b, c) => b + c'),
      ],
      { concurrency: 2 },
    );
    expect(await run.result('d')).toBe(9);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions.map((r) => [r.id, r.status, r.results])).toEqual([
      ['a', 'succeeded', 2],
      ['b', 'succeeded', 6],
      ['c', 'succeeded', 3],
      ['d', 'succeeded', 9],
    ]);
    for (const r of summary.functions) {
      expect(r.peer).toMatch(/^local:[01]$/);
      expect(r.attempts).toBe(1);
      expect(r.cached).toBe(false);
      expect(r.endedAt).toBeGreaterThanOrEqual(r.startedAt!);
    }
  });

  it('accepts the DagJSON form as well as an array of specs', async () => {
    const run = runLocal(
      { format: 'handout-dag', version: 1, functions: [fn('one', [], '() => "json"')] },
      { pool },
    );
    expect(await run.result('one')).toBe('json');
  });

  it('runs a wide DAG of independent branches and joins them correctly', async () => {
    const width = 300;
    const leaves = Array.from({ length: width }, (_, i) =>
      fn(`leaf${i}`, [], '(i) => i * i', { extraArgs: [i] }),
    );
    const sum = fn(
      'sum',
      leaves.map((l) => l.id),
      '(...xs) => xs.reduce((a, b) => a + b, 0)',
    );
    const run = runLocal([...leaves, sum], { pool });
    const expected = Array.from({ length: width }, (_, i) => i * i).reduce((a, b) => a + b, 0);
    expect(await run.result('sum')).toBe(expected);
    expect((await run.done).status).toBe('succeeded');
  });

  it('passes the outputs of a multi-output function by index, and extraArgs after the dependencies', async () => {
    const run = runLocal(
      [
        fn('split', [], '(s) => s.split(",")', { outputs: 3, extraArgs: ['x,y,z'] }),
        fn('second', [['split', 1]], '(v, suffix) => v + suffix', { extraArgs: ['!'] }),
        fn(
          'ends',
          [
            ['split', 2],
            ['split', 0],
          ],
          '(last, first) => first + last',
        ),
      ],
      { pool },
    );
    expect(await run.result('split')).toEqual(['x', 'y', 'z']);
    expect(await run.result('second')).toBe('y!');
    expect(await run.result('ends')).toBe('xz');
  });

  it('fails a multi-output function that returns the wrong number of values, naming it', async () => {
    const run = runLocal([fn('pair', [], '() => [1]', { outputs: 2 })], { pool });
    const error = await run.result('pair').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).message).toContain("function 'pair' declares outputs: 2");
  });

  it('emits queued, started and succeeded for each function in order, and run:done last', async () => {
    const run = runLocal([fn('a', [], '() => 1'), fn('b', ['a'], '(x) => x + 1')], { pool });
    const log = logEvents(run);
    await run.done;
    expect(log.map((e) => `${e.event}${'id' in e.payload ? ` ${e.payload.id}` : ''}`)).toEqual([
      'task:queued a',
      'task:started a',
      'task:succeeded a',
      'task:queued b',
      'task:started b',
      'task:succeeded b',
      'run:done',
    ]);
  });

  it('turns a throw into a TaskError with the function id, attempt, message and stack, and skips what depends on it', async () => {
    const run = runLocal(
      [
        fn('bad', [], '() => { throw new TypeError("no coffee") }'),
        fn('down', ['bad'], '(x) => x'),
        fn('further', ['down'], '(x) => x'),
        fn('fine', [], '() => "ok"'),
      ],
      { pool },
    );
    const log = logEvents(run);
    const error = await run.result('bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({
      functionId: 'bad',
      attempt: 1,
      reason: 'threw',
      originalMessage: 'no coffee',
    });
    expect((error as TaskError).originalStack).toContain('TypeError');
    const skipped = await run.result('further').catch((e: unknown) => e);
    expect(skipped).toBeInstanceOf(SkippedError);
    expect(skipped).toMatchObject({ functionId: 'further', failedInput: 'bad' });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(summary.functions.map((r) => r.status)).toEqual(['failed', 'skipped', 'skipped', 'succeeded']);
    expect(log.some((e) => e.event === 'task:started' && e.payload.id === 'down')).toBe(false);
    expect(log.filter((e) => e.event === 'task:skipped').map((e) => e.payload)).toEqual([
      { id: 'down', because: 'bad' },
      { id: 'further', because: 'bad' },
    ]);
  });

  it('retries a failing function with backoff and succeeds on a later attempt', async () => {
    const run = runLocal(
      [fn('flaky', [], failsOnceSource('throw'), { retries: 2, extraArgs: ['done', marker()] })],
      { pool: trusted, retryBackoffMs: 20 },
    );
    const log = logEvents(run);
    expect(await run.result('flaky')).toBe('done');
    const [record] = (await run.done).functions;
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(record!.history.map((h) => [h.attempt, h.error])).toEqual([
      [1, 'first attempt fails'],
      [2, undefined],
    ]);
    expect(log.map((e) => e.event)).toEqual([
      'task:queued',
      'task:started',
      'task:failed',
      'task:retried',
      'task:started',
      'task:succeeded',
      'run:done',
    ]);
    const failed = log.find((e) => e.event === 'task:failed');
    expect(failed?.payload).toMatchObject({ attempt: 1, final: false });
    expect(log.find((e) => e.event === 'task:retried')?.payload).toEqual({
      id: 'flaky',
      attempt: 2,
      delayMs: 20,
    });
  });

  it('gives up after the last retry with the last attempt number in the error', async () => {
    const run = runLocal([fn('always', [], '() => { throw new Error("nope") }', { retries: 2 })], {
      pool,
      retryBackoffMs: 1,
    });
    const error = await run.result('always').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TaskError', attempt: 3, originalMessage: 'nope' });
    expect((await run.done).functions[0]!.history).toHaveLength(3);
  });

  it('kills a function stuck in while(true) when its timeout passes, and the run still ends', async () => {
    const run = runLocal(
      [
        fn('spin', [], '() => { while (true) {} }', { timeoutMs: 300 }),
        fn('after', ['spin'], '(x) => x'),
        fn('other', [], '() => "unaffected"'),
      ],
      { pool },
    );
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(summary.functions.map((r) => r.status)).toEqual(['failed', 'skipped', 'succeeded']);
    expect(summary.functions[0]!.error).toMatchObject({ reason: 'timeout', functionId: 'spin' });
  });

  it('replaces a worker killed by process.exit and retries the function as a new attempt', async () => {
    const deaths: number[] = [];
    const off = trusted.on('worker:died', (e) => deaths.push(e.worker));
    const run = runLocal(
      [fn('exits', [], failsOnceSource('exit'), { retries: 1, extraArgs: [7, marker()] })],
      {
        pool: trusted,
        retryBackoffMs: 1,
      },
    );
    expect(await run.result('exits')).toBe(7);
    off();
    const [record] = (await run.done).functions;
    expect(record!.attempts).toBe(2);
    expect(record!.history[0]!.error).toContain('worker died');
    expect(deaths).toHaveLength(1);
  });

  it('restarts a function whose worker died once even with the default retries: 0, like a supervisor', async () => {
    const run = runLocal([fn('exits-once', [], failsOnceSource('exit'), { extraArgs: [5, marker()] })], {
      pool: trusted,
      retryBackoffMs: 1,
    });
    const log = logEvents(run);
    expect(await run.result('exits-once')).toBe(5);
    const [record] = (await run.done).functions;
    expect(record).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(record!.history[0]).toMatchObject({ attempt: 1 });
    expect(record!.history[0]!.error).toContain('worker died');
    expect(log.filter((e) => e.event === 'task:retried')).toHaveLength(1);
  });

  it('gives up on a function that kills its worker again: one restart beyond retries, then worker-died', async () => {
    const run = runLocal(
      [
        fn('crash-loop', [], '() => globalThis.process.exit(3)'),
        fn('crash-loop-retried', [], '() => globalThis.process.exit(4)', { retries: 1 }),
      ],
      { pool: trusted, retryBackoffMs: 1 },
    );
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const [zero, one] = summary.functions;
    expect(zero).toMatchObject({ status: 'failed', attempts: 2 });
    expect(zero!.error).toMatchObject({ name: 'TaskError', reason: 'worker-died', attempt: 2 });
    expect(one).toMatchObject({ status: 'failed', attempts: 3 });
    expect(one!.error).toMatchObject({ reason: 'worker-died', attempt: 3 });
  });

  it('does not give a throw or a timeout the extra attempt that a worker death gets', async () => {
    const run = runLocal(
      [
        fn('throws', [], '() => { throw new Error("no") }'),
        fn('spins', [], '() => { while (true) {} }', { timeoutMs: 200 }),
      ],
      { pool, retryBackoffMs: 1 },
    );
    const summary = await run.done;
    expect(summary.functions.map((r) => [r.status, r.attempts, r.error?.reason])).toEqual([
      ['failed', 1, 'threw'],
      ['failed', 1, 'timeout'],
    ]);
  });

  it('cancels through an AbortSignal: running workers are terminated, pending functions never start', async () => {
    const controller = new AbortController();
    const run = runLocal(
      [
        fn('spin', [], '() => { while (true) {} }'),
        fn('next', ['spin'], '(x) => x'),
        fn('quick', [], '() => 1'),
      ],
      { pool, signal: controller.signal },
    );
    const log = logEvents(run);
    run.on('task:started', (e) => {
      if (e.id === 'spin') setTimeout(() => controller.abort(), 50);
    });
    const summary = await run.done;
    expect(summary.status).toBe('cancelled');
    const byId = Object.fromEntries(summary.functions.map((r) => [r.id, r.status]));
    expect(byId.spin).toBe('cancelled');
    expect(byId.next).toBe('cancelled');
    expect(log.some((e) => e.event === 'task:started' && e.payload.id === 'next')).toBe(false);
    await expect(run.result('next')).rejects.toBeInstanceOf(CancelledError);
    // The pool is still usable after its worker was terminated for the cancellation.
    expect(await runLocal([fn('later', [], '() => 5')], { pool }).result('later')).toBe(5);
  });

  it('cancels with run.cancel() too, and an already-aborted signal cancels before anything runs', async () => {
    const run = runLocal([fn('a', [], '() => 1')], { pool, signal: AbortSignal.abort() });
    expect((await run.done).status).toBe('cancelled');
    const second = runLocal([fn('spin', [], '() => { while (true) {} }')], { pool });
    second.on('task:started', () => second.cancel());
    expect((await second.done).functions[0]!.status).toBe('cancelled');
  });

  it('serves a second run with the same store entirely from the cache, executing nothing', async () => {
    const store = createMemoryStore();
    const dag = [
      fn('a', [], '() => ({ n: 1, at: new Date(0) })'),
      fn('b', ['a'], '(x) => [x.n, x.n + 1]', { outputs: 2 }),
      fn('c', [['b', 1]], '(y) => y * 10'),
    ];
    const first = await runLocal(dag, { pool, store }).done;
    expect(first.functions.every((r) => r.cached === false)).toBe(true);
    const rerun = runLocal(dag, { pool, store });
    const log = logEvents(rerun);
    const summary = await rerun.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions.every((r) => r.cached === true && r.attempts === 0)).toBe(true);
    expect(log.filter((e) => e.event === 'task:started')).toEqual([]);
    expect(await rerun.result('c')).toBe(20);
    expect(await rerun.result('a')).toEqual({ n: 1, at: new Date(0) });
  });

  it('neither reads nor writes the cache for cache: false', async () => {
    const store = createMemoryStore();
    const dag = [fn('fresh', [], '() => 1', { cache: false })];
    await runLocal(dag, { pool, store }).done;
    expect(await store.keys()).toEqual([]);
  });

  it('runs identical functions (same hash) once per run and gives both the result', async () => {
    const counter = marker();
    const source = `(path) => { globalThis.process.getBuiltinModule('node:fs').appendFileSync(path, 'x'); return 'shared'; }`;
    const run = runLocal(
      [
        fn('first', [], source, { extraArgs: [counter], cache: false }),
        fn('twin', [], source, { extraArgs: [counter], cache: false }),
        fn('both', ['first', 'twin'], '(a, b) => a + b'),
      ],
      { pool: trusted },
    );
    expect(await run.result('both')).toBe('sharedshared');
    expect(readFileSync(counter, 'utf8')).toBe('x');
    const summary = await run.done;
    expect(summary.functions.filter((r) => r.cached).map((r) => r.id)).toEqual(['twin']);
  });

  it('rejects run.result for an unknown id with an error naming it', async () => {
    const run = runLocal([fn('a', [], '() => 1')], { pool, runId: 'r-42' });
    const error = await run.result('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoutError);
    expect((error as Error).message).toBe("run 'r-42' has no function 'nope'");
    await run.done;
  });

  it('throws a DagValidationError before running anything for an invalid DAG', () => {
    expect(() => runLocal([fn('a', ['ghost'], '(x) => x')], { pool })).toThrow(DagValidationError);
  });

  it('finishes an empty DAG at once', async () => {
    const summary = await runLocal([], { pool }).done;
    expect(summary).toMatchObject({ status: 'succeeded', functions: [] });
  });
});
