/**
 * The platform-neutral worker pool: queue, batching, timeouts and cancellation. Workers themselves (spawning,
 * deaths, replacement) are the supervisor's (worker-supervisor.ts); pool.node.ts and pool.browser.ts only say
 * how to spawn a worker and how it dies.
 *
 * Throughput: tasks submitted in the same tick are flushed together in a microtask, and each idle worker gets a
 * batch (an even share of the queue, at most `maxBatchSize`) in one comlink call. Code is sent to a worker once
 * per distinct source and then named by a small id.
 *
 * Batches are also bounded in time: at most `BATCH_BUDGET_MS` of expected work (each code's mean time per call
 * as the worker measured it, else the caller's `estimateMs`, else a whole budget for code never measured). A
 * batch answers all at once, so a batch of long functions would hold finished results back until the last one
 * ends, and would start functions that another worker, or another peer, could have run sooner; tiny functions
 * still travel by the dozen. Tasks left in the queue can still be cancelled for free (a mesh coordinator moves
 * them elsewhere).
 *
 * When a worker dies, the call it was running (the supervisor knows which) gets the outcome 'worker-died' and
 * the others of its batch are queued again at the front without being charged (their results died with the
 * worker). When the culprit is unknown, the batch is re-queued one call per message, so the call that kills its
 * worker again is then known.
 */
import { CodeTable } from './code-table.js';
import type { WireBatchResult, WireCodeDef, WireTask } from './messages.js';
import { StreamedOutput, type WireOutputChunk } from './output-stream.js';
import type {
  CancelSignal,
  PoolTask,
  RunTaskOptions,
  TaskOutcome,
  WorkerPool,
  WorkerPoolEvents,
} from './pool.js';
import { TaskQueue } from './task-queue.js';
import {
  type BatchLoss,
  type SpawnWorker,
  type Slot as SupervisedSlot,
  type WorkerHandle,
  WorkerSupervisor,
} from './worker-supervisor.js';

export type { SpawnWorker, WorkerHandle } from './worker-supervisor.js';

export interface PoolCoreOptions {
  /** Number of worker slots. No default: the platform adapter decides (pool.node.ts, pool.browser.ts). */
  readonly size: number;
  /** Most calls in one message to a worker (WorkerPoolOptions.maxBatchSize). No default here either. */
  readonly maxBatchSize: number;
  readonly spawn: SpawnWorker;
}

/** One call of `run`, from submission until its outcome. */
interface Pending {
  readonly task: PoolTask;
  readonly options: RunTaskOptions | undefined;
  readonly codeId: number;
  readonly resolve: (outcome: TaskOutcome) => void;
  /** Must travel in a batch of its own (it has a timeout, or its batch lost a worker without a progress cell). */
  alone: boolean;
  done: boolean;
  slot: Slot | undefined;
  startedAt: number | undefined;
  /** What the call streamed so far (output-stream.ts); made at its first chunk. */
  printed: StreamedOutput | undefined;
}

type Slot = SupervisedSlot<Pending>;

/** What `kill` settles a call of the killed worker's batch with; undefined re-queues the call. */
type KillVerdict = { ok: false; reason: 'timeout' | 'cancelled'; message: string } | undefined;

/** Expected work per batch, ms: small against the functions worth spreading, large against per-batch overhead. */
const BATCH_BUDGET_MS = 5;

export class PoolCore implements WorkerPool {
  readonly size: number;
  private readonly maxBatchSize: number;
  private readonly queue = new TaskQueue<Pending>();
  private readonly codes = new CodeTable();
  /** Calls by the signal that cancels them: one abort listener per signal, however many calls share it. */
  private readonly bySignal = new Map<CancelSignal, Set<Pending>>();
  private readonly supervisor: WorkerSupervisor<Pending>;
  /**
   * The one abort listener every signal gets. A plain function, not a method bound per call: the signal calls
   * it with `this` set to itself, which says which group to cancel, and removing it needs the same function.
   */
  private readonly onAbort: (this: CancelSignal) => void;
  private flushScheduled = false;
  private closed = false;
  /** Workers that answered once, and who waits for all of them (`ready`). */
  private readonly startedWorkers = new Set<number>();
  private startWaiters: (() => void)[] = [];
  private gaveUpStarting = false;

  constructor(options: PoolCoreOptions) {
    this.size = options.size;
    this.maxBatchSize = options.maxBatchSize;
    const pool = this;
    this.onAbort = function (this: CancelSignal) {
      pool.cancel(this);
    };
    this.supervisor = new WorkerSupervisor<Pending>(options.size, options.spawn, {
      ready: () => this.flush(),
      died: (slot, batch, loss, message) => this.onDeath(slot, batch, loss, message),
      cannotStart: (message) => {
        this.gaveUpStarting = true;
        this.wakeStartWaiters();
        this.failQueued(message);
      },
      waiting: () => this.queue.size,
      output: (slot, chunk) => this.onOutput(slot, chunk),
    });
    this.supervisor.on('worker:ready', ({ worker }) => {
      this.startedWorkers.add(worker);
      if (this.startedWorkers.size >= this.size) this.wakeStartWaiters();
    });
  }

  ready(): Promise<void> {
    if (this.closed || this.gaveUpStarting || this.startedWorkers.size >= this.size) return Promise.resolve();
    return new Promise<void>((resolve) => this.startWaiters.push(resolve));
  }

  private wakeStartWaiters(): void {
    const waiters = this.startWaiters;
    this.startWaiters = [];
    for (const resolve of waiters) resolve();
  }

  run(task: PoolTask, runOptions?: RunTaskOptions): Promise<TaskOutcome> {
    return new Promise<TaskOutcome>((resolve) => {
      if (this.closed || runOptions?.signal?.aborted) {
        resolve({
          ok: false,
          reason: 'cancelled',
          message: this.closed ? 'the pool is closed' : 'cancelled before it started',
          endedAt: Date.now(),
        });
        return;
      }
      const p: Pending = {
        task,
        options: runOptions,
        codeId: this.codes.idOf(task.code),
        resolve,
        alone: runOptions?.timeoutMs !== undefined,
        done: false,
        slot: undefined,
        startedAt: undefined,
        printed: undefined,
      };
      const signal = runOptions?.signal;
      if (signal) {
        let group = this.bySignal.get(signal);
        if (!group) {
          group = new Set();
          this.bySignal.set(signal, group);
          signal.addEventListener('abort', this.onAbort);
        }
        group.add(p);
      }
      this.supervisor.retryStopped();
      this.enqueue(p, false);
    });
  }

  on<E extends keyof WorkerPoolEvents>(
    event: E,
    listener: (payload: WorkerPoolEvents[E]) => void,
  ): () => void {
    return this.supervisor.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeStartWaiters();
    const endedAt = Date.now();
    for (const slot of this.supervisor.slots) {
      for (const p of slot.batch ?? [])
        this.settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
    }
    const terminated = this.supervisor.close();
    for (const p of this.queue.drain())
      this.settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
    await terminated;
  }

  /** How long `p` is expected to take, ms: its code's measured mean, else the caller's estimate, else a budget. */
  private readonly expectedMs = (p: Pending): number =>
    this.codes.meanMs(p.codeId) ?? p.options?.estimateMs ?? BATCH_BUDGET_MS;

  private settle(p: Pending, outcome: TaskOutcome): void {
    if (p.done) return;
    p.done = true;
    // What it streamed is its output, also when its worker died or was terminated (output-stream.ts).
    const printed = p.printed?.output();
    if (printed && !outcome.output) outcome = { ...outcome, output: printed };
    if (p.slot === undefined) this.queue.forget();
    p.slot = undefined;
    const signal = p.options?.signal;
    if (signal) {
      const group = this.bySignal.get(signal);
      if (group) {
        group.delete(p);
        if (group.size === 0) {
          this.bySignal.delete(signal);
          signal.removeEventListener('abort', this.onAbort);
        }
      }
    }
    p.resolve(outcome);
  }

  /** A chunk of what call `chunk.call` of `slot`'s batch printed: kept for its outcome, passed on now. */
  private onOutput(slot: Slot, chunk: WireOutputChunk): void {
    const p = slot.batch?.[chunk.call];
    if (p === undefined || p.done || p.task.functionId !== chunk.fn) return;
    p.printed ??= new StreamedOutput();
    const kept = p.printed.add(chunk);
    if (kept) p.options?.onOutput?.(kept);
  }

  private enqueue(p: Pending, front: boolean): void {
    p.slot = undefined;
    // Run again from the start (its worker died with another call's fault): its outcome's output is the new
    // run's. What it streamed before was passed on already (RunTaskOptions.onOutput says so).
    p.printed = undefined;
    if (front) this.queue.unshift(p);
    else this.queue.push(p);
    this.scheduleFlush();
  }

  /** Calls submitted in one tick are dispatched together, in a microtask, so they can share batches. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Gives each idle worker a batch: an even share of the queue, at most `maxBatchSize`, within the budget. */
  private flush(): void {
    if (this.closed) return;
    const idle = this.supervisor.slots.filter((s) => s.state === 'idle');
    for (let k = 0; k < idle.length && this.queue.size > 0; k++) {
      const share = Math.min(this.maxBatchSize, Math.ceil(this.queue.size / (idle.length - k)));
      const batch = this.queue.take(share, this.expectedMs, BATCH_BUDGET_MS);
      if (batch.length > 0) this.dispatch(idle[k]!, batch);
    }
  }

  private dispatch(slot: Slot, batch: Pending[]): void {
    const handle = slot.handle!;
    const defs: WireCodeDef[] = [];
    const tasks: WireTask[] = new Array(batch.length);
    const at = Date.now();
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (!slot.known.has(p.codeId)) {
        slot.known.add(p.codeId);
        defs.push(this.codes.def(p.codeId));
      }
      tasks[i] = [p.codeId, p.task.functionId, p.task.args, p.task.outputs ?? 1];
      p.slot = slot;
      p.startedAt = at;
    }
    slot.state = 'busy';
    slot.batch = batch;
    if (handle.progress) handle.progress[0] = -1;
    for (const p of batch) p.options?.onStart?.(slot.index, at);
    const timeoutMs = batch.length === 1 ? batch[0]!.options?.timeoutMs : undefined;
    if (timeoutMs !== undefined)
      slot.timer = setTimeout(() => this.timeOut(slot, batch[0]!, timeoutMs), timeoutMs);
    let call: Promise<WireBatchResult>;
    try {
      call = handle.api.runBatch({ defs, tasks });
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (result) => this.onBatchDone(slot, handle, batch, result),
      (error: unknown) => this.onBatchRejected(slot, handle, batch, error),
    );
  }

  private timeOut(slot: Slot, p: Pending, timeoutMs: number): void {
    this.kill(slot, 'timeout', `function '${p.task.functionId}' timed out after ${timeoutMs} ms`, () => ({
      ok: false,
      reason: 'timeout',
      message: `timed out after ${timeoutMs} ms (its worker was terminated)`,
    }));
  }

  private onBatchDone(slot: Slot, handle: WorkerHandle, batch: Pending[], result: WireBatchResult): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    const endedAt = Date.now();
    this.supervisor.release(slot);
    const [outcomes, busyMs, printed] = result;
    this.codes.observe(batch, busyMs);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const o = outcomes[i]!;
      const startedAt = p.startedAt!;
      // `output` is set only where the call printed (no spread: this loop runs per call of every batch).
      const output = printed?.[i];
      this.settle(
        p,
        o[0] === 1
          ? { ok: true, value: o[1], worker: slot.index, startedAt, endedAt, output }
          : {
              ok: false,
              reason: o[3] === undefined ? 'threw' : 'sandbox',
              message: o[1],
              stack: o[2],
              attempted: o[3],
              worker: slot.index,
              startedAt,
              endedAt,
              output,
            },
      );
    }
    this.flush();
  }

  /** The call itself failed: arguments or a result that cannot be structured-cloned. */
  private onBatchRejected(slot: Slot, handle: WorkerHandle, batch: Pending[], error: unknown): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    this.supervisor.release(slot);
    if (batch.length > 1) {
      // Find the culprit by running each call on its own.
      for (let i = batch.length - 1; i >= 0; i--) {
        const p = batch[i]!;
        if (p.done) continue;
        p.alone = true;
        this.enqueue(p, true);
      }
    } else {
      const p = batch[0]!;
      const message = error instanceof Error ? error.message : String(error);
      this.settle(p, {
        ok: false,
        reason: 'threw',
        message: `its arguments or result could not be sent between threads (${message}); values must be structured-cloneable`,
        worker: slot.index,
        startedAt: p.startedAt,
        endedAt: Date.now(),
      });
    }
    this.flush();
  }

  /**
   * Terminate a busy worker on purpose (timeout, cancellation), settle the calls `verdict` names, re-queue the
   * others of its batch, and replace the worker.
   */
  private kill(
    slot: Slot,
    reason: 'timeout' | 'cancelled',
    message: string,
    verdict: (p: Pending) => KillVerdict,
  ): void {
    const batch = this.supervisor.stop(slot, reason, message);
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      const v = verdict(p);
      if (v) this.settle(p, { ...v, worker: slot.index, startedAt: p.startedAt, endedAt });
      else this.enqueue(p, true);
    }
    this.supervisor.start(slot);
  }

  /** The supervisor saw `slot`'s worker die on its own: charge the culprit, re-queue the others. */
  private onDeath(slot: Slot, batch: Pending[], loss: BatchLoss, message: string): void {
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      if (i === loss.culprit) {
        this.settle(p, {
          ok: false,
          reason: loss.outOfMemory ? 'out-of-memory' : 'worker-died',
          message: loss.outOfMemory
            ? `its worker ran out of memory: ${message}`
            : `its worker died: ${message}`,
          worker: slot.index,
          startedAt: p.startedAt,
          endedAt,
        });
      } else {
        if (loss.unknownCulprit) p.alone = true;
        this.enqueue(p, true);
      }
    }
  }

  private failQueued(message: string): void {
    const endedAt = Date.now();
    for (const p of this.queue.drain())
      this.settle(p, { ok: false, reason: 'worker-died', message, endedAt });
  }

  /** `signal` aborted: its queued calls end now, and the workers running any of them are terminated. */
  private cancel(signal: CancelSignal): void {
    const group = this.bySignal.get(signal);
    if (!group) return;
    const endedAt = Date.now();
    const busy = new Set<Slot>();
    for (const p of [...group]) {
      if (p.slot) busy.add(p.slot);
      else
        this.settle(p, { ok: false, reason: 'cancelled', message: 'cancelled before it started', endedAt });
    }
    for (const slot of busy) {
      this.kill(slot, 'cancelled', 'terminated to cancel its function', (p) =>
        p.options?.signal?.aborted
          ? { ok: false, reason: 'cancelled', message: 'cancelled while running (its worker was terminated)' }
          : undefined,
      );
    }
  }
}

/** The platform-neutral pool over `options.spawn`'s workers (see the module header). */
export function createPoolCore(options: PoolCoreOptions): WorkerPool {
  return new PoolCore(options);
}
