/**
 * The platform-neutral worker pool: queue, batching, pipelining, timeouts and cancellation. Workers themselves
 * (spawning, deaths, replacement) are the supervisor's (worker-supervisor.ts); pool.node.ts and pool.browser.ts
 * only say how to spawn a worker and how it dies. Pieces with one job each live beside it: the call record and
 * its outcomes (pending-call.ts), which worker gets which batch (batch-plan.ts), cancellation groups
 * (signal-groups.ts), `ready()` (start-gate.ts), the queue (task-queue.ts) and the code table (code-table.ts).
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
 * Pipelining: when the queue is deeper than the idle workers take, a busy worker whose batch is short (expected
 * at most `PIPELINE_BEHIND_MS`, as measured) is sent its next batch at once, so it starts it the moment the
 * first ends instead of idling while answer and batch cross threads: what Piscina's Atomics wake-up of idle
 * workers is for, without blocking a worker's event loop (async functions need it). At most one batch waits
 * per worker; never a timed call (its timeout counts from dispatch), never behind one, never behind unmeasured
 * code (it might be long, and what waits behind it could have run elsewhere).
 *
 * When a worker dies, the call it was running (the supervisor knows which) gets the outcome 'worker-died' and
 * the others it held are queued again at the front without being charged (their results died with the
 * worker). When the culprit is unknown, they are re-queued one call per message, so the call that kills its
 * worker again is then known.
 */
import { BATCH_BUDGET_MS, fillWorkers } from './batch-plan.js';
import { CodeTable } from './code-table.js';
import type { WireBatchResult, WireCodeDef, WireTask } from './messages.js';
import { RepeatFilter, StreamedOutput, type WireOutputChunk } from './output-stream.js';
import {
  answeredOutcome,
  cloneFailure,
  deathOutcome,
  type PendingCall,
  type PoolSlot,
} from './pending-call.js';
import type { PoolTask, RunTaskOptions, TaskOutcome, WorkerPool, WorkerPoolEvents } from './pool.js';
import { SignalGroups } from './signal-groups.js';
import { StartGate } from './start-gate.js';
import { TaskQueue } from './task-queue.js';
import {
  type BatchLoss,
  type SpawnWorker,
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

/** What `kill` settles a call of the killed worker with; undefined re-queues the call. */
type KillVerdict = { ok: false; reason: 'timeout' | 'cancelled'; message: string } | undefined;

export class PoolCore implements WorkerPool {
  readonly size: number;
  private readonly maxBatchSize: number;
  private readonly queue = new TaskQueue<PendingCall>();
  private readonly codes = new CodeTable();
  private readonly bySignal = new SignalGroups<PendingCall>((calls) => this.cancel(calls));
  private readonly supervisor: WorkerSupervisor<PendingCall>;
  private readonly gate: StartGate;
  private flushScheduled = false;
  private closed = false;
  /** Workers that may run batches at once (`setSlots`); the others stay up, idle. */
  private limit: number;

  constructor(options: PoolCoreOptions) {
    this.size = options.size;
    this.limit = options.size;
    this.maxBatchSize = options.maxBatchSize;
    this.gate = new StartGate(options.size);
    this.supervisor = new WorkerSupervisor<PendingCall>(options.size, options.spawn, {
      // The first worker ready gets work at once; the others join as they come up.
      ready: () => this.flush(),
      died: (slot, calls, loss, message) => this.onDeath(slot, calls, loss, message),
      cannotStart: (message) => {
        this.gate.openForGood();
        this.failQueued(message);
      },
      waiting: () => this.queue.size,
      output: (slot, chunk) => this.onOutput(slot, chunk),
    });
    this.supervisor.on('worker:ready', ({ worker }) => this.gate.markStarted(worker));
  }

  ready(): Promise<void> {
    return this.gate.wait();
  }

  setSlots(slots: number): void {
    this.limit = Math.max(1, Math.min(this.size, Math.floor(slots)));
    this.flush();
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
      const p: PendingCall = {
        task,
        options: runOptions,
        codeId: this.codes.idOf(task.code),
        resolve,
        alone: runOptions?.timeoutMs !== undefined,
        done: false,
        slot: undefined,
        startedAt: undefined,
        printed: undefined,
        repeat: undefined,
      };
      if (runOptions?.signal) this.bySignal.add(runOptions.signal, p);
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
    this.gate.openForGood();
    const endedAt = Date.now();
    const closedOutcome: TaskOutcome = {
      ok: false,
      reason: 'cancelled',
      message: 'the pool was closed',
      endedAt,
    };
    for (const slot of this.supervisor.slots) {
      for (const p of slot.batch ?? []) this.settle(p, closedOutcome);
      for (const p of slot.next ?? []) this.settle(p, closedOutcome);
    }
    const terminated = this.supervisor.close();
    for (const p of this.queue.drain()) this.settle(p, closedOutcome);
    await terminated;
  }

  /** How long `p` is expected to take, ms: its code's measured mean, else the caller's estimate, else a budget. */
  private readonly expectedMs = (p: PendingCall): number =>
    this.codes.meanMs(p.codeId) ?? p.options?.estimateMs ?? BATCH_BUDGET_MS;

  /** As {@link expectedMs} for a whole batch, but unmeasured code without an estimate counts as unbounded. */
  private batchExpectedMs(batch: readonly PendingCall[]): number {
    let ms = 0;
    for (const p of batch) ms += this.codes.meanMs(p.codeId) ?? p.options?.estimateMs ?? Infinity;
    return ms;
  }

  private settle(p: PendingCall, outcome: TaskOutcome): void {
    if (p.done) return;
    p.done = true;
    // What it streamed is its output, also when its worker died or was terminated (output-stream.ts).
    const printed = p.printed?.output();
    if (printed && !outcome.output) outcome = { ...outcome, output: printed };
    if (p.slot === undefined) this.queue.forget();
    p.slot = undefined;
    const signal = p.options?.signal;
    if (signal) this.bySignal.delete(signal, p);
    p.resolve(outcome);
  }

  /** A chunk of what call `chunk.call` of `slot`'s batch printed: kept for its outcome, passed on now. */
  private onOutput(slot: PoolSlot, chunk: WireOutputChunk): void {
    const p = slot.batch?.[chunk.call];
    if (p === undefined || p.done || p.task.functionId !== chunk.fn) return;
    p.printed ??= new StreamedOutput();
    const kept = p.printed.add(chunk);
    const fresh = kept && p.repeat ? p.repeat.pass(kept) : kept;
    if (fresh) p.options?.onOutput?.(fresh);
  }

  private enqueue(p: PendingCall, front: boolean): void {
    p.slot = undefined;
    // Run again from the start (a worker death): its output is the new run's, minus repeats (RepeatFilter).
    p.repeat = RepeatFilter.forRerun(p.repeat, p.printed);
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

  /** Hands out what is queued (batch-plan.ts: idle workers under the slot limit first, then pipelining). */
  private flush(): void {
    if (this.closed) return;
    fillWorkers(this.supervisor.slots, this.queue, {
      limit: this.limit,
      maxBatchSize: this.maxBatchSize,
      expectedMs: this.expectedMs,
      dispatch: (slot, batch) => this.dispatch(slot, batch),
    });
  }

  /** Sends `batch` to `slot`'s worker: to run now if it is idle, else pipelined behind the batch it runs. */
  private dispatch(slot: PoolSlot, batch: PendingCall[]): void {
    const handle = slot.handle!;
    const defs: WireCodeDef[] = [];
    const tasks: WireTask[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (!slot.known.has(p.codeId)) {
        slot.known.add(p.codeId);
        defs.push(this.codes.def(p.codeId));
      }
      tasks[i] = [p.codeId, p.task.functionId, p.task.args, p.task.outputs ?? 1];
      p.slot = slot;
    }
    const seq = ++slot.sent;
    if (slot.state === 'busy') {
      slot.next = batch;
      slot.nextSeq = seq;
    } else {
      slot.state = 'busy';
      slot.batch = batch;
      slot.batchSeq = seq;
      this.begin(slot, batch);
      const timeoutMs = batch.length === 1 ? batch[0]!.options?.timeoutMs : undefined;
      if (timeoutMs !== undefined)
        slot.timer = setTimeout(() => this.timeOut(slot, batch[0]!, timeoutMs), timeoutMs);
    }
    let call: Promise<WireBatchResult>;
    try {
      call = handle.api.runBatch({ seq, defs, tasks });
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (result) => this.onBatchDone(slot, handle, batch, result),
      (error: unknown) => this.onBatchRejected(slot, handle, batch, error),
    );
  }

  /** `batch` became the one `slot`'s worker runs (sent to an idle worker, or the one pipelined moved up). */
  private begin(slot: PoolSlot, batch: readonly PendingCall[]): void {
    const at = Date.now();
    slot.expectedMs = this.batchExpectedMs(batch);
    for (const p of batch) {
      p.startedAt = at;
      p.options?.onStart?.(slot.index, at);
    }
  }

  /** The running batch is over: the pipelined one (if any) begins, and the worker has room for more. */
  private release(slot: PoolSlot): void {
    const next = this.supervisor.release(slot);
    if (next) this.begin(slot, next);
  }

  private timeOut(slot: PoolSlot, p: PendingCall, timeoutMs: number): void {
    this.kill(slot, 'timeout', `function '${p.task.functionId}' timed out after ${timeoutMs} ms`, (q) =>
      q === p
        ? {
            ok: false,
            reason: 'timeout',
            message: `timed out after ${timeoutMs} ms (its worker was terminated)`,
          }
        : undefined,
    );
  }

  private onBatchDone(
    slot: PoolSlot,
    handle: WorkerHandle,
    batch: PendingCall[],
    result: WireBatchResult,
  ): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    const endedAt = Date.now();
    this.release(slot);
    const [outcomes, busyMs, printed] = result;
    this.codes.observe(batch, busyMs);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      this.settle(p, answeredOutcome(p, outcomes[i]!, slot.index, endedAt, printed?.[i]));
    }
    this.flush();
  }

  /** The call itself failed: arguments or a result that cannot be structured-cloned. */
  private onBatchRejected(slot: PoolSlot, handle: WorkerHandle, batch: PendingCall[], error: unknown): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    this.release(slot);
    if (batch.length > 1) {
      // Find the culprit by running each call on its own.
      for (let i = batch.length - 1; i >= 0; i--) {
        const p = batch[i]!;
        if (p.done) continue;
        p.alone = true;
        this.enqueue(p, true);
      }
    } else {
      this.settle(batch[0]!, cloneFailure(batch[0]!, slot.index, error));
    }
    this.flush();
  }

  /**
   * Terminate a busy worker on purpose (timeout, cancellation), settle the calls `verdict` names, re-queue the
   * others it held, and replace the worker.
   */
  private kill(
    slot: PoolSlot,
    reason: 'timeout' | 'cancelled',
    message: string,
    verdict: (p: PendingCall) => KillVerdict,
  ): void {
    const calls = this.supervisor.stop(slot, reason, message);
    const endedAt = Date.now();
    for (let i = calls.length - 1; i >= 0; i--) {
      const p = calls[i]!;
      if (p.done) continue;
      const v = verdict(p);
      if (v) this.settle(p, { ...v, worker: slot.index, startedAt: p.startedAt, endedAt });
      else this.enqueue(p, true);
    }
    this.supervisor.start(slot);
  }

  /** The supervisor saw `slot`'s worker die on its own: charge the culprit, re-queue the others. */
  private onDeath(slot: PoolSlot, calls: PendingCall[], loss: BatchLoss, message: string): void {
    const endedAt = Date.now();
    for (let i = calls.length - 1; i >= 0; i--) {
      const p = calls[i]!;
      if (p.done) continue;
      if (i === loss.culprit) {
        this.settle(p, deathOutcome(p, loss, message, slot.index, endedAt));
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

  /** A signal aborted: its queued calls end now, and the workers holding any of them are terminated. */
  private cancel(calls: PendingCall[]): void {
    const endedAt = Date.now();
    const busy = new Set<PoolSlot>();
    for (const p of calls) {
      // A call pipelined behind another has not started: it ends now and its worker's answer for it is ignored
      // (terminating the worker would throw away the batch it runs, for at most a short batch of work saved).
      if (p.slot && !p.slot.next?.includes(p)) busy.add(p.slot);
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
