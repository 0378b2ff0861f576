import { createWorkerPool, type PoolTask, type TaskOutcome, type WorkerPool } from '@handout/peer-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlotPool } from '../src/contribute/slot-pool.js';

/** Spends `ms` of CPU in the worker, then returns `value`. */
const busy = (functionId: string, ms: number, value: number): PoolTask => ({
  functionId,
  code: {
    kind: 'source',
    source: '(ms, v) => { const end = Date.now() + ms; while (Date.now() < end) {} return v; }',
  },
  args: [ms, value],
});

/** Spends `ms` of CPU in the worker and returns when it ran: [start, end] by the wall clock. */
const timed = (functionId: string, ms: number): PoolTask => ({
  functionId,
  code: {
    kind: 'source',
    source:
      '(ms) => { const start = performance.timeOrigin + performance.now(); while (performance.timeOrigin + performance.now() < start + ms) {} return [start, performance.timeOrigin + performance.now()]; }',
  },
  args: [ms],
});

/** The most intervals that overlap at one instant. */
function mostAtOnce(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d!;
    most = Math.max(most, now);
  }
  return most;
}

const intervalsOf = (outcomes: readonly TaskOutcome[]): Array<[number, number]> =>
  outcomes.map((o) => {
    if (!o.ok) throw new Error(o.message);
    return o.value as [number, number];
  });

describe('the contribute page slot pool (real worker threads)', () => {
  let inner: WorkerPool | undefined;
  afterEach(async () => {
    await inner?.close();
  });

  it('runs at most `slots` functions at once on a bigger pool, and reports the slots as its size', async () => {
    inner = createWorkerPool({ size: 2 });
    const pool = createSlotPool(inner, 1);
    expect(pool.size).toBe(1);
    // Each function reports when it ran: with one slot of two workers, never two at the same time.
    const outcomes = await Promise.all([1, 2, 3, 4].map((v) => pool.run(timed(`f${v}`, 40))));
    expect(mostAtOnce(intervalsOf(outcomes))).toBe(1);
    expect(pool.running()).toEqual([]);
  });

  it('a larger slot count lets queued functions start at once, up to the workers there are', async () => {
    inner = createWorkerPool({ size: 2, maxBatchSize: 1 });
    const pool = createSlotPool(inner, 1);
    const runs = [1, 2, 3, 4].map((v) => pool.run(timed(`g${v}`, 150)));
    pool.setSlots(5); // clamped to the two workers
    expect(pool.size).toBe(2);
    expect(mostAtOnce(intervalsOf(await Promise.all(runs)))).toBe(2);
  });

  it('a function aborted while waiting for a slot ends cancelled and never runs', async () => {
    inner = createWorkerPool({ size: 1, maxBatchSize: 1 });
    const pool = createSlotPool(inner, 1);
    const started: string[] = [];
    pool.onActivity((a) => {
      if (a.kind === 'started') started.push(a.functionId);
    });
    const first = pool.run(busy('first', 100, 1));
    const abort = new AbortController();
    const second = pool.run(busy('second', 10, 2), { signal: abort.signal });
    abort.abort();
    const outcome = await second;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.reason).toBe('cancelled');
    await first;
    expect(started).toEqual(['first']);
  });
});
