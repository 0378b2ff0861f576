import { createWorkerPool, type PoolTask, type WorkerPool } from '@handout/peer-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlotPool, type SlotPool } from '../src/contribute/slot-pool.js';

/** Spends `ms` of CPU in the worker, then returns `value`. */
const busy = (functionId: string, ms: number, value: number): PoolTask => ({
  functionId,
  code: {
    kind: 'source',
    source: '(ms, v) => { const end = Date.now() + ms; while (Date.now() < end) {} return v; }',
  },
  args: [ms, value],
});

/** Tracks the most functions the slot pool reported running at once. */
function peakOf(pool: SlotPool): { peak: () => number } {
  let peak = 0;
  pool.onActivity(() => {
    peak = Math.max(peak, pool.running().length);
  });
  return { peak: () => peak };
}

describe('the contribute page slot pool (real worker threads)', () => {
  let inner: WorkerPool | undefined;
  afterEach(async () => {
    await inner?.close();
  });

  it('runs at most `slots` functions at once on a bigger pool, and reports the slots as its size', async () => {
    inner = createWorkerPool({ size: 2, maxBatchSize: 1 });
    const pool = createSlotPool(inner, 1);
    const { peak } = peakOf(pool);
    expect(pool.size).toBe(1);
    const outcomes = await Promise.all([1, 2, 3].map((v) => pool.run(busy(`f${v}`, 60, v))));
    expect(outcomes.map((o) => (o.ok ? o.value : o.message))).toEqual([1, 2, 3]);
    expect(peak()).toBe(1);
    expect(pool.running()).toEqual([]);
  });

  it('a larger slot count lets queued functions start at once, up to the workers there are', async () => {
    inner = createWorkerPool({ size: 2, maxBatchSize: 1 });
    const pool = createSlotPool(inner, 1);
    const { peak } = peakOf(pool);
    const runs = [1, 2, 3, 4].map((v) => pool.run(busy(`g${v}`, 150, v)));
    pool.setSlots(5); // clamped to the two workers
    expect(pool.size).toBe(2);
    await Promise.all(runs);
    expect(peak()).toBe(2);
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
