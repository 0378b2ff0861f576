/**
 * The platform-neutral half of the worker pool: queue, batching, timeouts, cancellation and supervision.
 * pool.node.ts and pool.browser.ts only say how to spawn a worker and how it dies.
 *
 * Throughput: tasks submitted in the same tick are flushed together in a microtask, and each idle worker gets a
 * batch (an even share of the queue, at most `maxBatchSize`) in one comlink call. Code is sent to a worker once
 * per distinct source and then named by a small id.
 *
 * Supervision: when a worker dies, the shared `progress` cell says which call of its batch was running; that call
 * gets the outcome 'worker-died' and the others are queued again at the front without being charged (their
 * results died with the worker). Without a progress cell (a browser page that is not cross-origin isolated, so no
 * SharedArrayBuffer) the batch is re-queued one call per message, so the call that kills its worker again is
 * then known.
 */
import type * as Comlink from 'comlink';
import type { WireCodeDef, WireOutcome, WireTask, WorkerApi } from './messages.js';
import type { PoolTask, RunTaskOptions, TaskOutcome, WorkerPool, WorkerPoolEvents } from './pool.js';
import { TaskQueue } from './task-queue.js';

/** One spawned worker, as the platform adapter hands it over. */
export interface WorkerHandle {
  /** The comlink proxy, kept referenced for the whole life of the worker so pending calls are never collected. */
  readonly api: Comlink.Remote<WorkerApi>;
  readonly progress: Int32Array | undefined;
  /** Stop the worker now (idempotent); `onDeath` is not called for a termination we asked for. */
  terminate(): Promise<void>;
}

/** Spawn a worker; call `onDeath` once if it ends on its own (crash, `process.exit`, out of memory). */
export type SpawnWorker = (onDeath: (message: string) => void) => WorkerHandle;

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

interface Slot {
  readonly index: number;
  handle: WorkerHandle | undefined;
  state: 'starting' | 'idle' | 'busy';
  /** Code ids this worker has compiled. */
  known: Set<number>;
  batch: Pending[] | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Consecutive workers that die before they are ready; past this the queue fails instead of spawning forever. */
const MAX_START_FAILURES = 3;

export function createPoolCore(options: PoolCoreOptions): WorkerPool {
  const { size, maxBatchSize, spawn } = options;
  const queue = new TaskQueue<Pending>();
  let flushScheduled = false;
  let closed = false;
  let startFailures = 0;
  const codeIds = new Map<string, number>();
  const codes: WireCodeDef[] = [];
  const bySignal = new Map<AbortSignal, Set<Pending>>();
  const listeners = new Map<keyof WorkerPoolEvents, Set<(payload: never) => void>>();
  const slots: Slot[] = [];

  function emit<E extends keyof WorkerPoolEvents>(event: E, payload: WorkerPoolEvents[E]): void {
    for (const listener of listeners.get(event) ?? []) {
      try {
        (listener as (p: WorkerPoolEvents[E]) => void)(payload);
      } catch {
        // A failing listener must not break supervision.
      }
    }
  }

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
    const idle = slots.filter((s) => s.state === 'idle');
    for (let k = 0; k < idle.length && queue.size > 0; k++) {
      const batch = queue.take(Math.min(maxBatchSize, Math.ceil(queue.size / (idle.length - k))));
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
    let call: Promise<WireOutcome[]>;
    try {
      call = handle.api.runBatch({ defs, tasks });
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (outcomes) => onBatchDone(slot, handle, batch, outcomes),
      (error: unknown) => onBatchRejected(slot, handle, batch, error),
    );
  }

  function release(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.batch = undefined;
    slot.state = 'idle';
  }

  function onBatchDone(slot: Slot, handle: WorkerHandle, batch: Pending[], outcomes: WireOutcome[]): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    const endedAt = Date.now();
    release(slot);
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
              reason: 'threw',
              message: o[1],
              stack: o[2],
              worker: slot.index,
              startedAt,
              endedAt,
            },
      );
    }
    flush();
  }

  /** The call itself failed: arguments or a result that cannot be structured-cloned. */
  function onBatchRejected(slot: Slot, handle: WorkerHandle, batch: Pending[], error: unknown): void {
    if (slot.handle !== handle || slot.batch !== batch) return;
    release(slot);
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
    const batch = slot.batch ?? [];
    const handle = slot.handle;
    release(slot);
    slot.handle = undefined;
    void handle?.terminate();
    emit('worker:died', { worker: slot.index, reason, message });
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      const v = verdict(p);
      if (v) settle(p, { ...v, worker: slot.index, startedAt: p.startedAt, endedAt });
      else enqueue(p, true);
    }
    start(slot);
  }

  function onDeath(slot: Slot, handle: WorkerHandle, message: string): void {
    if (slot.handle !== handle) return;
    const wasStarting = slot.state === 'starting';
    const batch = slot.batch ?? [];
    const culprit = handle.progress ? handle.progress[0]! : batch.length === 1 ? 0 : -1;
    const unknownCulprit = handle.progress === undefined && batch.length > 1;
    release(slot);
    slot.handle = undefined;
    emit('worker:died', { worker: slot.index, reason: 'crashed', message });
    const endedAt = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const p = batch[i]!;
      if (p.done) continue;
      if (i === culprit) {
        settle(p, {
          ok: false,
          reason: 'worker-died',
          message: `its worker died: ${message}`,
          worker: slot.index,
          startedAt: p.startedAt,
          endedAt,
        });
      } else {
        if (unknownCulprit) p.alone = true;
        enqueue(p, true);
      }
    }
    if (wasStarting && ++startFailures >= MAX_START_FAILURES) {
      failQueued(`workers die while starting: ${message}`);
    }
    start(slot);
  }

  function failQueued(message: string): void {
    const endedAt = Date.now();
    for (const p of queue.drain()) settle(p, { ok: false, reason: 'worker-died', message, endedAt });
  }

  function start(slot: Slot): void {
    if (closed) return;
    if (startFailures >= MAX_START_FAILURES && queue.size === 0) {
      // Stop respawning a worker that cannot start; the next `run` tries again.
      slot.state = 'starting';
      return;
    }
    slot.state = 'starting';
    slot.known = new Set();
    let handle: WorkerHandle;
    try {
      handle = spawn((message) => onDeath(slot, handle, message));
    } catch (error) {
      startFailures = MAX_START_FAILURES;
      failQueued(`cannot start a worker: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    slot.handle = handle;
    handle.api.ping().then(
      () => {
        if (slot.handle !== handle || closed) return;
        startFailures = 0;
        slot.state = 'idle';
        emit('worker:ready', { worker: slot.index });
        flush();
      },
      () => {
        // A worker that cannot answer is reported through onDeath when it exits.
      },
    );
  }

  function onAbort(this: AbortSignal): void {
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
        if (startFailures >= MAX_START_FAILURES) {
          startFailures = MAX_START_FAILURES - 1;
          for (const slot of slots) if (slot.handle === undefined) start(slot);
        }
        enqueue(p, false);
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const endedAt = Date.now();
      const terminations: Promise<void>[] = [];
      for (const slot of slots) {
        for (const p of slot.batch ?? [])
          settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        if (slot.handle) terminations.push(slot.handle.terminate());
        slot.handle = undefined;
        slot.batch = undefined;
      }
      for (const p of queue.drain())
        settle(p, { ok: false, reason: 'cancelled', message: 'the pool was closed', endedAt });
      await Promise.allSettled(terminations);
    },
  };

  for (let index = 0; index < size; index++) {
    const slot: Slot = {
      index,
      handle: undefined,
      state: 'starting',
      known: new Set(),
      batch: undefined,
      timer: undefined,
    };
    slots.push(slot);
    start(slot);
  }
  return pool;
}
