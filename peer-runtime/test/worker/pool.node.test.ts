import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cancellation } from '../../src/worker/cancellation.js';
import type { PoolTask, WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';

const src = (functionId: string, source: string, args: unknown[] = [], outputs?: number): PoolTask => ({
  functionId,
  code: { kind: 'source', source },
  args,
  outputs,
});

describe('the Node worker pool (real worker_threads)', () => {
  let pool: WorkerPool;
  let dir: string;
  const extraPools: WorkerPool[] = [];

  beforeAll(() => {
    pool = createWorkerPool({ size: 2 });
    dir = mkdtempSync(join(tmpdir(), 'handout-pool-'));
  });
  afterEach(async () => {
    await Promise.all(extraPools.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says when every worker has started: ready() resolves after each worker announced itself, and at once after', async () => {
    const fresh = createWorkerPool({ size: 2 });
    extraPools.push(fresh);
    const started = new Set<number>();
    fresh.on('worker:ready', ({ worker }) => started.add(worker));
    await fresh.ready();
    expect([...started].sort()).toEqual([0, 1]);
    let again = false;
    await fresh.ready().then(() => {
      again = true;
    });
    expect(again).toBe(true);
  });

  it('runs a function from its source text with its arguments and returns the value', async () => {
    const outcome = await pool.run(src('add', '(a, b) => a + b', [2, 40]));
    expect(outcome).toMatchObject({ ok: true, value: 42 });
    if (outcome.ok) expect(outcome.worker).toBeGreaterThanOrEqual(0);
  });

  it('awaits a function that returns a promise', async () => {
    const outcome = await pool.run(
      src('later', 'async (x) => { await new Promise((r) => setTimeout(r, 5)); return x * 2; }', [21]),
    );
    expect(outcome).toMatchObject({ ok: true, value: 42 });
  });

  it('keeps each result with its own task when thousands are batched together', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 3000 }, (_, i) => pool.run(src(`sq${i}`, '(x) => x * x', [i]))),
    );
    expect(outcomes.map((o) => (o.ok ? o.value : o.message))).toEqual(
      Array.from({ length: 3000 }, (_, i) => i * i),
    );
  });

  it('compiles a source once per worker and reuses the compiled function', async () => {
    const single = createWorkerPool({ size: 1 });
    extraPools.push(single);
    // The outer arrow runs when the source is compiled; the returned function reports how often that happened.
    const source =
      '(() => { globalThis.compiles = (globalThis.compiles ?? 0) + 1; return () => globalThis.compiles; })()';
    const outcomes = await Promise.all([1, 2, 3].map((i) => single.run(src(`c${i}`, source))));
    const again = await single.run(src('c4', source));
    expect([...outcomes, again].map((o) => o.ok && o.value)).toEqual([1, 1, 1, 1]);
  });

  it('imports a function from a module reference', async () => {
    const file = join(dir, 'double.mjs');
    writeFileSync(file, 'export function double(x) { return 2 * x; }\n');
    const outcome = await pool.run({
      functionId: 'mod',
      code: { kind: 'module', module: pathToFileURL(file).href, export: 'double' },
      args: [8],
    });
    expect(outcome).toMatchObject({ ok: true, value: 16 });
  });

  it('reports a missing module export as a failure naming the export', async () => {
    const file = join(dir, 'empty.mjs');
    writeFileSync(file, 'export const nothing = 1;\n');
    const outcome = await pool.run({
      functionId: 'mod',
      code: { kind: 'module', module: pathToFileURL(file).href, export: 'missing' },
      args: [],
    });
    expect(outcome).toMatchObject({ ok: false, reason: 'threw' });
    if (!outcome.ok) expect(outcome.message).toContain("'missing'");
  });

  it('reports a throw with its original message and stack', async () => {
    const outcome = await pool.run(src('boom', '() => { throw new RangeError("bad input 7"); }'));
    expect(outcome).toMatchObject({ ok: false, reason: 'threw', message: 'bad input 7' });
    if (!outcome.ok) expect(outcome.stack).toContain('RangeError');
  });

  it('rejects a multi-output result of the wrong length, naming the function', async () => {
    const outcome = await pool.run(src('split', '() => [1, 2]', [], 3));
    expect(outcome).toMatchObject({ ok: false, reason: 'threw' });
    if (!outcome.ok)
      expect(outcome.message).toBe("function 'split' declares outputs: 3 but returned an array of 2 values");
  });

  it('reports code that is not a function', async () => {
    const outcome = await pool.run(src('num', '42'));
    expect(outcome).toMatchObject({ ok: false, reason: 'threw' });
    if (!outcome.ok) expect(outcome.message).toContain('did not evaluate to a function');
  });

  it('fails only the task whose result cannot be cloned back, not its batch mates', async () => {
    const outcomes = await Promise.all([
      pool.run(src('ok1', '() => 1')),
      pool.run(src('fn', '() => () => 1')),
      pool.run(src('ok2', '() => 2')),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    if (!outcomes[1]!.ok) expect(outcomes[1]!.message).toContain('structured-cloneable');
  });

  it('replaces a worker that calls process.exit and charges only the task that killed it', async () => {
    // process.exit needs the worker's full powers: the sandbox would refuse it (sandbox.node.test.ts).
    const single = createWorkerPool({ size: 1, trustCode: true });
    extraPools.push(single);
    const deaths: string[] = [];
    single.on('worker:died', (e) => deaths.push(e.reason));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        single.run(i === 7 ? src('exit', '() => process.exit(1)') : src(`n${i}`, '(x) => x', [i])),
      ),
    );
    expect(outcomes[7]).toMatchObject({ ok: false, reason: 'worker-died' });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(19);
    expect(deaths).toEqual(['crashed']);
    expect(await single.run(src('after', '() => "alive"'))).toMatchObject({ ok: true, value: 'alive' });
  });

  it('replaces a worker that runs out of memory under resourceLimits, reporting out-of-memory', async () => {
    const small = createWorkerPool({
      size: 1,
      resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 8 },
    });
    extraPools.push(small);
    const outcome = await small.run(
      src('hog', '() => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); }'),
    );
    expect(outcome).toMatchObject({ ok: false, reason: 'out-of-memory' });
    expect(await small.run(src('after', '() => 1'))).toMatchObject({ ok: true, value: 1 });
  });

  it('terminates a worker stuck in an endless loop when the timeout passes, and keeps serving', async () => {
    const stuck = pool.run(src('spin', '() => { while (true) {} }'), { timeoutMs: 200 });
    const neighbour = pool.run(src('neighbour', '() => "fine"'));
    expect(await stuck).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await neighbour).toMatchObject({ ok: true, value: 'fine' });
    expect(await pool.run(src('after', '() => 3'))).toMatchObject({ ok: true, value: 3 });
  });

  it('cancels queued and running tasks when their signal aborts, leaving other tasks alone', async () => {
    const single = createWorkerPool({ size: 1 });
    extraPools.push(single);
    const controller = new AbortController();
    const started: number[] = [];
    const running = single.run(src('spin', '() => { while (true) {} }'), {
      signal: controller.signal,
      onStart: (w) => started.push(w),
    });
    const queued = single.run(src('queued', '() => 1'), { signal: controller.signal });
    const other = single.run(src('other', '() => "kept"'));
    await new Promise((r) => setTimeout(r, 50));
    while (started.length === 0) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    expect(await running).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(await queued).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(await other).toMatchObject({ ok: true, value: 'kept' });
  });

  it('cancels through a Cancellation per task (what mesh peers use) only the task it was given', async () => {
    const single = createWorkerPool({ size: 1 });
    extraPools.push(single);
    const spinCancel = new Cancellation();
    const queuedCancel = new Cancellation();
    const started: number[] = [];
    // A timeout makes the spinner travel alone, so the next task really waits in the queue.
    const running = single.run(src('spin', '() => { while (true) {} }'), {
      signal: spinCancel,
      timeoutMs: 60_000,
      onStart: (w) => started.push(w),
    });
    const queued = single.run(src('queued', '() => 1'), { signal: queuedCancel });
    const kept = single.run(src('kept', '() => 2'), { signal: new Cancellation() });
    while (started.length === 0) await new Promise((r) => setTimeout(r, 20));
    queuedCancel.abort();
    expect(await queued).toMatchObject({
      ok: false,
      reason: 'cancelled',
      message: 'cancelled before it started',
    });
    spinCancel.abort();
    spinCancel.abort(); // idempotent
    expect(await running).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(await kept).toMatchObject({ ok: true, value: 2 });
  });

  it('answers long functions one by one instead of holding a finished result for its batch', async () => {
    const single = createWorkerPool({ size: 1 });
    extraPools.push(single);
    const nap = '(k) => new Promise((resolve) => setTimeout(() => resolve(k), 150))';
    const ended: number[] = [];
    const runs = [0, 1, 2].map((k) =>
      single.run(src(`nap${k}`, nap, [k]), { estimateMs: 150 }).then((o) => {
        ended.push(Date.now());
        return o;
      }),
    );
    expect((await Promise.all(runs)).map((o) => o.ok && o.value)).toEqual([0, 1, 2]);
    // One batch would have answered all three at the same moment, ~450 ms after the start.
    expect(ended[1]! - ended[0]!).toBeGreaterThanOrEqual(100);
    expect(ended[2]! - ended[1]!).toBeGreaterThanOrEqual(100);
  });

  it('ends queued work as cancelled when the pool is closed', async () => {
    const single = createWorkerPool({ size: 1 });
    const pending = single.run(src('spin', '() => { while (true) {} }'));
    await single.close();
    expect(await pending).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(await single.run(src('late', '() => 1'))).toMatchObject({ ok: false, reason: 'cancelled' });
  });

  it('rejects a pool size that is not a positive integer', () => {
    expect(() => createWorkerPool({ size: 0 })).toThrow(RangeError);
  });
});
