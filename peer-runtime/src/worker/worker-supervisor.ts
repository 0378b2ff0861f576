/**
 * The supervision half of the worker pool: spawning workers into fixed slots, noticing when one dies, replacing
 * it, and giving up on respawning when workers cannot even start. What happens to the calls a dead worker held
 * is the dispatcher's business (pool-core.ts), told through {@link SupervisorHooks}.
 *
 * A worker holds at most two batches: the one it runs (`batch`) and, when the dispatcher pipelines short work,
 * the next one (`next`), already sent so the worker starts it without waiting for a message from this thread.
 *
 * When a worker dies, the shared `progress` cell says which call of which batch was running (messages.ts): that
 * call is the culprit, the others only lost their results with it. Without a progress cell (a browser page that
 * is not cross-origin isolated, so no SharedArrayBuffer) several calls in flight have no known culprit.
 */
import type * as Comlink from 'comlink';
import { TypedEmitter } from '../typed-emitter.js';
import { PROGRESS_BATCH, PROGRESS_CALL, type WorkerApi } from './messages.js';
import type { OutputSpill } from './output-spill.js';
import type { WireOutputChunk } from './output-stream.js';
import type { WorkerPoolEvents } from './pool.js';

/** One spawned worker, as the platform adapter hands it over. */
export interface WorkerHandle {
  /** The comlink proxy, kept referenced for the whole life of the worker so pending calls are never collected. */
  readonly api: Comlink.Remote<WorkerApi>;
  readonly progress: Int32Array | undefined;
  /** What its running call printed but had not posted yet, readable after it died (output-spill.ts). */
  readonly spill?: OutputSpill;
  /** Stop the worker now (idempotent); `onDeath` is not called for a termination we asked for. */
  terminate(): Promise<void>;
}

/**
 * Spawn a worker; call `onDeath` once if it ends on its own (crash, `process.exit`, out of memory), with
 * `outOfMemory` true when it passed its heap cap (Node's ERR_WORKER_OUT_OF_MEMORY), and `onOutput` with every
 * message of the worker that is an output chunk (output-stream.ts `isOutputChunk`).
 */
export type SpawnWorker = (
  onDeath: (message: string, outOfMemory?: boolean) => void,
  onOutput: (chunk: WireOutputChunk) => void,
) => WorkerHandle;

/** A place for one worker; the worker in it is replaced when it dies. `T` is the dispatcher's call record. */
export interface Slot<T> {
  readonly index: number;
  handle: WorkerHandle | undefined;
  state: 'starting' | 'idle' | 'busy';
  /** Code ids this worker has compiled. */
  known: Set<number>;
  /** The calls of the batch the worker runs now (the oldest one it has not answered). */
  batch: T[] | undefined;
  /** A batch sent behind `batch` (pipelined), which the worker runs when `batch` ends. Only while `batch` is. */
  next: T[] | undefined;
  /** `WireBatch.seq` of `batch` and of `next`. */
  batchSeq: number;
  nextSeq: number;
  /** Batches sent to this worker so far: the last `seq` given. */
  sent: number;
  /** The dispatcher's estimate of `batch`'s work, ms (Infinity when it cannot tell). */
  expectedMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** How a worker that died on its own lost its calls (`batch` then `next`, as one list). */
export interface BatchLoss {
  /** Index in that list of the call that was running when the worker died; -1 when not known. */
  readonly culprit: number;
  /** More than one call and no progress cell: the survivors must be re-run one per message. */
  readonly unknownCulprit: boolean;
  /** The worker passed its heap cap: the culprit fails with reason 'out-of-memory'. */
  readonly outOfMemory: boolean;
}

export interface SupervisorHooks<T> {
  /** A worker (first or replacement) is ready for work. */
  ready(): void;
  /** A worker died on its own holding `calls` (possibly none); called before its replacement is spawned. */
  died(slot: Slot<T>, calls: T[], loss: BatchLoss, message: string): void;
  /** Workers cannot be started (they die while starting, or spawning throws): fail whatever waits. */
  cannotStart(message: string): void;
  /** Calls waiting for a worker; with none, a supervisor whose workers cannot start stops respawning. */
  waiting(): number;
  /** The worker in `slot` (still that slot's worker) sent a piece of what its running call printed. */
  output?(slot: Slot<T>, chunk: WireOutputChunk): void;
}

/** Consecutive workers that die before they are ready; past this the queue fails instead of spawning forever. */
const MAX_START_FAILURES = 3;

export class WorkerSupervisor<T> {
  readonly slots: Slot<T>[] = [];
  /** Catches a throwing listener: a failing listener must not break supervision. */
  private readonly listeners = new TypedEmitter<WorkerPoolEvents>();
  private startFailures = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly spawn: SpawnWorker,
    private readonly hooks: SupervisorHooks<T>,
  ) {
    for (let index = 0; index < size; index++) {
      const slot: Slot<T> = {
        index,
        handle: undefined,
        state: 'starting',
        known: new Set(),
        batch: undefined,
        next: undefined,
        batchSeq: 0,
        nextSeq: 0,
        sent: 0,
        expectedMs: 0,
        timer: undefined,
      };
      this.slots.push(slot);
      this.start(slot);
    }
  }

  on<E extends keyof WorkerPoolEvents>(
    event: E,
    listener: (payload: WorkerPoolEvents[E]) => void,
  ): () => void {
    return this.listeners.on(event, listener);
  }

  private emit<E extends keyof WorkerPoolEvents>(event: E, payload: WorkerPoolEvents[E]): void {
    this.listeners.emit(event, payload);
  }

  /**
   * The slot's running batch is over (answered or failed): the worker moves on to the batch pipelined behind it,
   * which is returned (it becomes `batch`), or is idle again.
   */
  release(slot: Slot<T>): T[] | undefined {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    const next = slot.next;
    slot.next = undefined;
    slot.batch = next;
    slot.batchSeq = slot.nextSeq;
    slot.state = next ? 'busy' : 'idle';
    return next;
  }

  /** Every call the slot's worker holds, running first, and the slot emptied (its worker stopped or died). */
  private takeAll(slot: Slot<T>): T[] {
    const calls = slot.next ? [...(slot.batch ?? []), ...slot.next] : (slot.batch ?? []);
    slot.next = undefined;
    this.release(slot);
    return calls;
  }

  /**
   * Terminate a busy worker on purpose (timeout, cancellation) and return the calls it held. The caller settles
   * or re-queues those calls, then calls {@link start} to replace the worker.
   */
  stop(slot: Slot<T>, reason: 'timeout' | 'cancelled', message: string): T[] {
    const handle = slot.handle;
    this.takeSpill(slot, handle);
    const batch = this.takeAll(slot);
    slot.handle = undefined;
    // Not awaited: the slot is free at once and its replacement starts while the old worker stops. A worker
    // that fails to stop is the platform's to reap; there is nothing more this slot can do about it.
    void handle?.terminate();
    this.emit('worker:died', { worker: slot.index, reason, message });
    return batch;
  }

  private onDeath(slot: Slot<T>, handle: WorkerHandle, message: string, outOfMemory: boolean): void {
    if (slot.handle !== handle) return;
    const wasStarting = slot.state === 'starting';
    const culprit = culpritOf(slot, handle.progress);
    this.takeSpill(slot, handle);
    const batch = this.takeAll(slot);
    const unknownCulprit = handle.progress === undefined && batch.length > 1;
    slot.handle = undefined;
    this.emit('worker:died', { worker: slot.index, reason: 'crashed', message });
    this.hooks.died(slot, batch, { culprit, unknownCulprit, outOfMemory }, message);
    if (wasStarting && ++this.startFailures >= MAX_START_FAILURES) {
      this.hooks.cannotStart(`workers die while starting: ${message}`);
    }
    this.start(slot);
  }

  /** The last lines the running call printed, which its worker held back when it stopped: its last chunk. */
  private takeSpill(slot: Slot<T>, handle: WorkerHandle | undefined): void {
    const chunk = handle?.spill?.read();
    if (chunk) this.hooks.output?.(slot, chunk);
  }

  /** Spawn a worker into `slot` (empty or just emptied). */
  start(slot: Slot<T>): void {
    if (this.closed) return;
    if (this.startFailures >= MAX_START_FAILURES && this.hooks.waiting() === 0) {
      // Stop respawning a worker that cannot start; the next call tries again (see retryStopped).
      slot.state = 'starting';
      return;
    }
    slot.state = 'starting';
    slot.known = new Set();
    let handle: WorkerHandle;
    try {
      handle = this.spawn(
        (message, outOfMemory) => this.onDeath(slot, handle, message, outOfMemory === true),
        (chunk) => {
          if (slot.handle === handle) this.hooks.output?.(slot, chunk);
        },
      );
    } catch (error) {
      this.startFailures = MAX_START_FAILURES;
      this.hooks.cannotStart(
        `cannot start a worker: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    slot.handle = handle;
    handle.api.ping().then(
      () => {
        if (slot.handle !== handle || this.closed) return;
        this.startFailures = 0;
        slot.state = 'idle';
        this.emit('worker:ready', { worker: slot.index });
        this.hooks.ready();
      },
      () => {
        // A worker that cannot answer is reported through onDeath when it exits.
      },
    );
  }

  /** A new call arrived: if respawning stopped after start failures, give workers another chance. */
  retryStopped(): void {
    if (this.startFailures < MAX_START_FAILURES) return;
    this.startFailures = MAX_START_FAILURES - 1;
    for (const slot of this.slots) if (slot.handle === undefined) this.start(slot);
  }

  /** Terminate every worker and stop respawning. Batches still on workers are the caller's to settle first. */
  async close(): Promise<void> {
    this.closed = true;
    const terminations: Promise<void>[] = [];
    for (const slot of this.slots) {
      if (slot.timer !== undefined) clearTimeout(slot.timer);
      if (slot.handle) terminations.push(slot.handle.terminate());
      slot.handle = undefined;
      slot.batch = undefined;
      slot.next = undefined;
    }
    await Promise.allSettled(terminations);
  }
}

/**
 * Which call, in the slot's `batch` then `next`, its dead worker was running. The progress cell names a batch by
 * seq: `batch`'s, or `next`'s when the worker had finished `batch` and its answer died in transit (then `batch`'s
 * calls are innocent). A cell naming neither, or no call yet, tells nothing: -1.
 */
function culpritOf<T>(slot: Slot<T>, progress: Int32Array | undefined): number {
  const batch = slot.batch ?? [];
  if (!progress) return batch.length === 1 && !slot.next ? 0 : -1;
  const call = progress[PROGRESS_CALL]!;
  if (call < 0) return -1;
  const seq = progress[PROGRESS_BATCH];
  if (seq === slot.batchSeq && batch.length > 0) return call;
  if (slot.next && seq === slot.nextSeq) return batch.length + call;
  return -1;
}
