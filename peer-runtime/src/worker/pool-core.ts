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
import type { WireBatchResult, WireCodeDef, WireTask } from './messages.js';
import type { CancelSignal, PoolTask, RunTaskOptions, TaskOutcome, WorkerPool } from './pool.js';
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
  readonly size: number;
  readonly maxBatchSize: number;
  readonly spawn: SpawnWorker;
}

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
}

type Slot = SupervisedSlot<Pending>;

/** Expected work per batch, ms: small against the functions worth spreading, large against per-batch overhead. */
const BATCH_BUDGET_MS = 5;

export function createPoolCore(options: PoolCoreOptions): WorkerPool {
  const { size, maxBatchSize, spawn } = options;
  const queue = new TaskQueue<Pending>();
  let flushScheduled = false;
  let closed = false;
  const codeIds = new Map<string, number>();
  const codes: WireCodeDef[] = [];
  /** Mean time per call of each code id (a batch's time in its worker over its size), ms; undefined until measured. */
  const meanMs: (number | undefined)[] = [];
  const expectedMs = (p: Pending): number => meanMs[p.codeId] ?? p.options?.estimateMs ?? BATCH_BUDGET_MS;
  const bySignal = new Map<CancelSignal, Set<Pending>>();
  const supervisor: WorkerSupervisor<Pending> = new WorkerSupervisor<Pending>(size, spawn, {
    ready: flush,
    died: onDeath,
    cannotStart: failQueued,
    waiting: () => queue.size,
  });

  function codeIdOf(task: PoolTask): number {
    const { code } = task;
    const key = code.kind === 'source' ? `s:${code.source}` : `m:${code.module}\0${code.export}`;
    let id = codeIds.get(key);
    if (id === undefined) {
      id = codes.length;
      codeIds.set(key, id);
      codes.push([id, code]);
    }
    return id;
  }

  function settle(p: Pending, outcome: TaskOutcome): void {
    if (p.done) return;
    p.done = true;
    if (p.slot === undefined) queue.forget();
    p.slot = undefined;
    const signal = p.options?.signal;
    if (signal) {
      const group = bySignal.get(signal);
      if (group) {
        group.delete(p);
        if (group.size === 0) {
          bySignal.delete(signal);
          signal.removeEventListener('abort', onAbort);
        }
      }
    }
    p.resolve(outcome);
  }

  function enqueue(p: Pending, front: boolean): void {
    p.slot = undefined;
    if (front) queue.unshift(p);
    else queue.push(p);
    scheduleFlush();
  }

  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    queueMicrotask(() => {
      flushScheduled = false;
      flush();
    });
  }

  function flush(): void {
    if (closed) return;
    const idle = supervisor.slots.filter((s) => s.state === 'idle');
    for (let k = 0; k < idle.length && queue.size > 0; k++) {
      const share = Math.min(maxBatchSize, Math.ceil(queue.size / (idle.length - k)));
      const batch = queue.take(share, expectedMs, BATCH_BUDGET_MS);
      if (batch.length > 0) dispatch(idle[k]!, batch);
    }
  }

  function dispatch(slot: Slot, batch: Pending[]): void {
    const handle = slot.handle!;
    const defs: WireCodeDef[] = [];
    const tasks: WireTask[] = new Array(batch.length);
    const at = Date.now();
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (!slot.known.has(p.codeId)) {
        slot.known.add(p.codeId);
        defs.push(codes[p.codeId]!);
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
    if (timeoutMs !== undefined) {
      slot.timer = setTimeout(() => {
        const p = batch[0]!;
        kill(slot, 'timeout', `function '${p.task.functionId}' timed out after ${timeoutMs} ms`, () => ({
          ok: false,
          reason: 'timeout',
          message: `timed out after ${timeoutMs} ms (its worker was terminated)`,
        }));
      }, timeoutMs);
    }
    let call: Promise<WireBatchResult>;
    try {
      call = handle.api.runBatch({ defs, tasks });
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (result) => onBatchDone(slot, handle, batch, result),
      (error: unknown) => onBatchRejected(slot, handle, batch, error),
    );
  }

  function onBatchDone(slot: Slot, handle: WorkerHandle, batch: Pending[], result: WireBatchResult): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    const endedAt = Date.now();
    supervisor.release(slot);
    const [outcomes, busyMs] = result;
    observe(batch, busyMs);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const o = outcomes[i]!;
      const startedAt = p.startedAt!;
      settle(
        p,
        o[0] === 1
          ? { ok: true, value: o[1], worker: slot.index, startedAt, endedAt }
          : {
              ok: false,
              reason: o[3] === undefined ? 'threw' : 'sandbox',
              message: o[1],
              stack: o[2],
              attempted: o[3],
              worker: slot.index,
              startedAt,
              endedAt,
            },
      );
    }
    flush();
  }

  /** Learns each code's time per call from a finished batch (shared evenly when a batch mixes codes). */
  function observe(batch: readonly Pending[], busyMs: number): void {
    const per = busyMs / batch.length;
    let last = -1;
    for (const p of batch) {
      if (p.codeId === last) continue;
      last = p.codeId;
      const old = meanMs[p.codeId];
      meanMs[p.codeId] = old === undefined ? per : old * 0.7 + per * 0.3;
    }
  }

  /** The call itself failed: arguments or a result that cannot be structured-cloned. */
  function onBatchRejected(slot: Slot, handle: WorkerHandle, batch: Pending[], error: unknown): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    supervisor.release(slot);
    if (batch.length > 1) {
      // Find the culprit by running each call on its own.
      for (let i = batch.length - 1; i >= 0; i--) {
        const p = batch[i]!;
        if (p.done) continue;
        p.alone = true;
        enqueue(p, true);
      }
    } else {
      const p = batch[0]!;
      const message = error instanceof Error ? error.message : String(error);
      settle(p, {
        ok: false,
        reason: 'threw',
        message: `its arguments or result could not be sent between threads (${message}); values must be structured-cloneable`,
        worker: slot.index,
        startedAt: p.startedAt,
        endedAt: Date.now(),
      });
    }
    flush();
  }

  /**
   * Terminate a busy worker on purpose (timeout, cancellation), settle the calls `verdict` names, re-queue the
   * others of its batch, and replace the worker.
   */
  function kill(
    slot: Slot,
    reason: 'timeout' | 'cancelled',
    message: string,
    verdict: (p: Pending) => { ok: false; reason: 'timeout' | 'cancelled'; message: string } | undefined,
  ): void {
    const batch = supervisor.stop(slot, reason, message);
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      const v = verdict(p);
      if (v) settle(p, { ...v, worker: slot.index, startedAt: p.startedAt, endedAt });
      else enqueue(p, true);
    }
    supervisor.start(slot);
  }

  /** The supervisor saw `slot`'s worker die on its own: charge the culprit, re-queue the others. */
  function onDeath(slot: Slot, batch: Pending[], loss: BatchLoss, message: string): void {
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      if (i === loss.culprit) {
        settle(p, {
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
        enqueue(p, true);
      }
    }
  }

  function failQueued(message: string): void {
    const endedAt = Date.now();
    for (const p of queue.drain()) settle(p, { ok: false, reason: 'worker-died', message, endedAt });
  }

  function onAbort(this: CancelSignal): void {
    const group = bySignal.get(this);
    if (!group) return;
    const endedAt = Date.now();
    const busy = new Set<Slot>();
    for (const p of [...group]) {
      if (p.slot) busy.add(p.slot);
      else settle(p, { ok: false, reason: 'cancelled', message: 'cancelled before it started', endedAt });
    }
    for (const slot of busy) {
      kill(slot, 'cancelled', 'terminated to cancel its function', (p) =>
        p.options?.signal?.aborted
          ? { ok: false, reason: 'cancelled', message: 'cancelled while running (its worker was terminated)' }
          : undefined,
      );
    }
  }

  const pool: WorkerPool = {
    size,
    run(task: PoolTask, runOptions?: RunTaskOptions): Promise<TaskOutcome> {
      return new Promise<TaskOutcome>((resolve) => {
        if (closed || runOptions?.signal?.aborted) {
          resolve({
            ok: false,
            reason: 'cancelled',
            message: closed ? 'the pool is closed' : 'cancelled before it started',
            endedAt: Date.now(),
          });
          return;
        }
        const p: Pending = {
          task,
          options: runOptions,
          codeId: codeIdOf(task),
          resolve,
          alone: runOptions?.timeoutMs !== undefined,
          done: false,
          slot: undefined,
          startedAt: undefined,
        };
        const signal = runOptions?.signal;
        if (signal) {
          let group = bySignal.get(signal);
          if (!group) {
            group = new Set();
            bySignal.set(signal, group);
            signal.addEventListener('abort', onAbort);
          }
          group.add(p);
        }
        supervisor.retryStopped();
        enqueue(p, false);
      });
    },
    on: (event, listener) => supervisor.on(event, listener),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const endedAt = Date.now();
      for (const slot of supervisor.slots) {
        for (const p of slot.batch ?? [])
          settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
      }
      const terminated = supervisor.close();
      for (const p of queue.drain())
        settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
      await terminated;
    },
  };
  return pool;
}
