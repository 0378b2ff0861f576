/**
 * The platform-neutral pool's dispatching (pool-core.ts) over workers whose start and answers the test controls:
 * each "worker" runs its batches through the real in-worker executor (execute.ts, code trusted, in this thread)
 * with a real progress cell, but only when the test says so. That makes the order of events exact: which worker
 * is ready when, what was sent before what was answered, and at which call a worker died.
 */
import type * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from '../../src/worker/execute.js';
import {
  PROGRESS_BATCH,
  PROGRESS_CALL,
  PROGRESS_CELLS,
  type WireBatch,
  type WireBatchResult,
  type WorkerApi,
} from '../../src/worker/messages.js';
import type { PoolTask, TaskOutcome, WorkerPool } from '../../src/worker/pool.js';
import { createPoolCore } from '../../src/worker/pool-core.js';
import type { WorkerHandle } from '../../src/worker/worker-supervisor.js';

interface Sent {
  readonly batch: WireBatch;
  readonly resolve: (result: WireBatchResult) => void;
}

/** A worker the test drives: `start()` answers its ping, `answer()` runs and answers its oldest batch. */
class ControlledWorker {
  readonly progress = new Int32Array(new SharedArrayBuffer(4 * PROGRESS_CELLS));
  readonly sent: Sent[] = [];
  terminated = false;
  private readonly executor = createExecutor(this.progress);
  private started!: () => void;
  private readonly ping = new Promise<true>((resolve) => {
    this.started = () => resolve(true);
  });

  constructor(readonly die: (message: string) => void) {}

  readonly handle: WorkerHandle = {
    api: {
      ping: () => this.ping,
      runBatch: (batch: WireBatch) =>
        new Promise<WireBatchResult>((resolve) => this.sent.push({ batch, resolve })),
    } as unknown as Comlink.Remote<WorkerApi>,
    progress: this.progress,
    terminate: async () => {
      this.terminated = true;
    },
  };

  start(): void {
    this.started();
  }

  /** Runs the oldest batch not yet answered through the real executor and answers it. */
  async answer(): Promise<void> {
    const next = this.sent.shift();
    if (!next) throw new Error('no batch to answer');
    next.resolve(await this.executor.runBatch(next.batch));
  }

  /** Runs the oldest batch without answering it (its answer is lost in transit). */
  async runWithoutAnswering(): Promise<void> {
    const next = this.sent.shift();
    if (!next) throw new Error('no batch to run');
    await this.executor.runBatch(next.batch);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const call = (id: string, source: string, args: unknown[] = []): PoolTask => ({
  functionId: id,
  code: { kind: 'source', source },
  args,
});

describe('the pool core (dispatching over controlled workers)', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  function makePool(size: number): ControlledWorker[] {
    const workers: ControlledWorker[] = [];
    pool = createPoolCore({
      size,
      maxBatchSize: 64,
      spawn: (onDeath) => {
        const w = new ControlledWorker(onDeath);
        workers.push(w);
        return w.handle;
      },
    });
    return workers;
  }

  /** Teaches the pool that `source` is tiny: one call of it runs and is answered (the pool measures it). */
  async function measure(worker: ControlledWorker, source: string): Promise<void> {
    const done = pool!.run(call('measure', source, [0]));
    await turn();
    await worker.answer();
    expect(await done).toMatchObject({ ok: true });
  }

  it('starts the first functions on the first worker that is ready, before the others are up', async () => {
    const workers = makePool(2);
    const started: number[] = [];
    const outcomes = Array.from({ length: 3 }, (_, i) =>
      pool!.run(call(`f${i}`, '(x) => x * 10', [i]), { onStart: (w) => started.push(w) }),
    );
    await turn();
    expect(workers.every((w) => w.sent.length === 0)).toBe(true);
    workers[1]!.start();
    await turn();
    expect(workers[1]!.sent.length).toBeGreaterThan(0);
    expect(workers[0]!.sent).toHaveLength(0);
    while (workers[1]!.sent.length > 0) {
      await workers[1]!.answer();
      await turn();
    }
    expect((await Promise.all(outcomes)).map((o) => o.ok && o.value)).toEqual([0, 10, 20]);
    expect(new Set(started)).toEqual(new Set([1]));
    let allReady = false;
    void pool!.ready().then(() => {
      allReady = true;
    });
    await turn();
    expect(allReady).toBe(false);
    workers[0]!.start();
    await turn();
    expect(allReady).toBe(true);
  });

  it('pipelines the next batch of short measured work to a busy worker, and starts it when the first answers', async () => {
    const [worker] = makePool(1);
    worker!.start();
    await turn();
    const tiny = '(x) => x + 1';
    await measure(worker!, tiny);
    const starts = new Map<number, number>();
    const outcomes = Array.from({ length: 200 }, (_, i) =>
      pool!.run(call(`t${i}`, tiny, [i]), { onStart: () => starts.set(i, starts.size) }),
    );
    await turn();
    // Two batches in flight before anything was answered: the one it runs and the next.
    expect(worker!.sent).toHaveLength(2);
    const [first, second] = [worker!.sent[0]!.batch, worker!.sent[1]!.batch];
    expect(second.seq).toBe(first.seq + 1);
    // Only the first batch's calls have started.
    expect(starts.size).toBe(first.tasks.length);
    await worker!.answer();
    await turn();
    // The pipelined batch became the running one (its calls started), and another was sent behind it.
    expect(starts.size).toBe(first.tasks.length + second.tasks.length);
    expect(worker!.sent).toHaveLength(2);
    while (worker!.sent.length > 0) {
      await worker!.answer();
      await turn();
    }
    const values = (await Promise.all(outcomes)).map((o) => o.ok && o.value);
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('does not pipeline behind code it has not measured, nor a call that has a timeout', async () => {
    const [worker] = makePool(1);
    worker!.start();
    await turn();
    const unmeasured = Array.from({ length: 5 }, (_, i) => pool!.run(call(`u${i}`, '(x) => x', [i])));
    await turn();
    expect(worker!.sent).toHaveLength(1);
    while (worker!.sent.length > 0) {
      await worker!.answer();
      await turn();
    }
    await Promise.all(unmeasured);
    // Now measured (tiny): a queue with a timed call at its head does not pipeline it.
    const busy = Array.from({ length: 100 }, (_, i) => pool!.run(call(`b${i}`, '(x) => x', [i])));
    await turn();
    expect(worker!.sent).toHaveLength(2);
    await worker!.answer();
    const timed = pool!.run(call('timed', '() => "t"'), { timeoutMs: 10_000 });
    await turn();
    // The running batch answered; the pipelined one runs; the timed call waits for the worker to be idle.
    expect(worker!.sent.every((s) => !s.batch.tasks.some((t) => t[1] === 'timed'))).toBe(true);
    while (worker!.sent.length > 0) {
      await worker!.answer();
      await turn();
    }
    expect(await timed).toMatchObject({ ok: true, value: 't' });
    expect((await Promise.all(busy)).every((o) => o.ok)).toBe(true);
  });

  it('when a worker dies in its pipelined batch, charges that call only and re-runs the finished batch whose answer was lost', async () => {
    const workers = makePool(1);
    const [worker] = workers;
    worker!.start();
    await turn();
    const tiny = '(x) => x';
    await measure(worker!, tiny);
    const outcomes: Promise<TaskOutcome>[] = Array.from({ length: 100 }, (_, i) =>
      pool!.run(call(`c${i}`, tiny, [i])),
    );
    await turn();
    expect(worker!.sent).toHaveLength(2);
    const firstBatch = worker!.sent[0]!.batch;
    const secondBatch = worker!.sent[1]!.batch;
    // The worker finished the first batch, but its answer never arrived; it died at call 2 of the second.
    await worker!.runWithoutAnswering();
    worker!.progress[PROGRESS_BATCH] = secondBatch.seq;
    worker!.progress[PROGRESS_CALL] = 2;
    worker!.die('the worker exited with code 1');
    await turn();
    const culprit = secondBatch.tasks[2]![1];
    // The replacement runs everything else.
    const replacement = workers[1]!;
    replacement.start();
    await turn();
    while (replacement.sent.length > 0) {
      await replacement.answer();
      await turn();
    }
    const settled = await Promise.all(outcomes);
    const failed = settled.flatMap((o, i) => (o.ok ? [] : [[`c${i}`, o.reason]]));
    expect(failed).toEqual([[culprit, 'worker-died']]);
    expect(settled.filter((o) => o.ok)).toHaveLength(99);
    expect(firstBatch.tasks.length).toBeGreaterThan(0);
  });

  it('cancels a pipelined call without terminating the worker that runs the batch before it', async () => {
    const [worker] = makePool(1);
    worker!.start();
    await turn();
    const tiny = '(x) => x';
    await measure(worker!, tiny);
    const { Cancellation } = await import('../../src/worker/cancellation.js');
    const cancels = Array.from({ length: 100 }, () => new Cancellation());
    const outcomes = cancels.map((signal, i) => pool!.run(call(`p${i}`, tiny, [i]), { signal }));
    await turn();
    expect(worker!.sent).toHaveLength(2);
    const firstLen = worker!.sent[0]!.batch.tasks.length;
    const pipelinedIndex = firstLen; // the first call of the second batch
    cancels[pipelinedIndex]!.abort();
    expect(await outcomes[pipelinedIndex]!).toMatchObject({
      ok: false,
      reason: 'cancelled',
      message: 'cancelled before it started',
    });
    expect(worker!.terminated).toBe(false);
    while (worker!.sent.length > 0) {
      await worker!.answer();
      await turn();
    }
    const settled = await Promise.all(outcomes);
    expect(settled.filter((o) => o.ok)).toHaveLength(99);
  });
});

describe('the in-worker executor with pipelined batches', () => {
  it('runs a batch that arrives while an async one awaits only after it, in order', async () => {
    const executor = createExecutor(new Int32Array(new SharedArrayBuffer(4 * PROGRESS_CELLS)));
    const order: string[] = [];
    (globalThis as { __order?: string[] }).__order = order;
    const slow = executor.runBatch({
      seq: 1,
      defs: [
        [
          0,
          {
            kind: 'source',
            source:
              'async () => { globalThis.__order.push("a:start"); await new Promise((r) => setTimeout(r, 20)); globalThis.__order.push("a:end"); return "a"; }',
          },
        ],
      ],
      tasks: [[0, 'a', [], 1]],
    });
    const fast = executor.runBatch({
      seq: 2,
      defs: [[1, { kind: 'source', source: '() => { globalThis.__order.push("b"); return "b"; }' }]],
      tasks: [[1, 'b', [], 1]],
    });
    const [a, b] = await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
    expect(a[0]).toEqual([[1, 'a']]);
    expect(b[0]).toEqual([[1, 'b']]);
    delete (globalThis as { __order?: string[] }).__order;
  });

  it('keeps the others of a batch when one call throws', async () => {
    const executor = createExecutor();
    const result = await executor.runBatch({
      seq: 1,
      defs: [[0, { kind: 'source', source: '(x) => { if (x === 1) throw new Error("one"); return x; }' }]],
      tasks: [
        [0, 'f0', [0], 1],
        [0, 'f1', [1], 1],
        [0, 'f2', [2], 1],
      ],
    });
    expect(result[0].map((o) => o[0])).toEqual([1, 0, 1]);
    expect(result[0][1]![1]).toBe('one');
    expect(result[0][2]).toEqual([1, 2]);
  });
});
