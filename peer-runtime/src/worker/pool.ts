/**
 * The worker pool contract: run a function (carried as source text or a module reference) in a worker thread
 * (Node) or a Web Worker (browser), one at a time per worker, with a timeout and cancellation.
 *
 * Implementations: `createWorkerPool` in pool.node.ts (worker_threads) and pool.browser.ts (Web Workers); both
 * drive the same platform-neutral core (pool-core.ts) and the same in-worker executor (execute.ts). The local
 * engine and, later, a mesh peer run assigned functions through this very interface.
 */
import type { CodeRef } from '../dag/types.js';
import type { CancelSignal } from './cancellation.js';

export type { CancelSignal } from './cancellation.js';

/** One function call to make in a worker. */
export interface PoolTask {
  /** The function id, used in error messages ("function 'split' returned ..."). */
  readonly functionId: string;
  readonly code: CodeRef;
  /** The full argument list: dependency values in `args` order, then `extraArgs`. Structured-cloned to the worker. */
  readonly args: readonly unknown[];
  /** Declared number of outputs; above 1 the function must return an array of exactly that many values. Default 1. */
  readonly outputs?: number;
}

export interface RunTaskOptions {
  /**
   * Aborting it cancels the task: a queued task is dropped, a running one has its worker terminated (and
   * replaced). An AbortSignal, or a `Cancellation` (cancellation.ts) where one is made per task.
   */
  readonly signal?: CancelSignal;
  /** Terminate the worker running the task after this many ms (measured from dispatch). Default: no timeout. */
  readonly timeoutMs?: number;
  /**
   * How long the task is expected to take, ms (e.g. `cost.estimateMs`): bounds the batch it travels in until
   * the pool has measured its code. Default: unknown (it travels with few others at first).
   */
  readonly estimateMs?: number;
  /** Called when the task is handed to a worker, with the worker's slot index (`local:N`). */
  readonly onStart?: (worker: number, at: number) => void;
}

export type TaskFailureReason = 'threw' | 'timeout' | 'worker-died' | 'cancelled';

/** How a task ended. `run` never rejects: every failure is an outcome, so callers decide about retries. */
export type TaskOutcome =
  | {
      readonly ok: true;
      /** The returned value (awaited if it was a promise), as structured-cloned back from the worker. */
      readonly value: unknown;
      readonly worker: number;
      readonly startedAt: number;
      readonly endedAt: number;
    }
  | {
      readonly ok: false;
      readonly reason: TaskFailureReason;
      readonly message: string;
      readonly stack?: string;
      /** The worker slot, when the task had been dispatched. */
      readonly worker?: number;
      readonly startedAt?: number;
      readonly endedAt: number;
    };

/** Events of a pool, for supervisors and dashboards. */
export interface WorkerPoolEvents {
  /** A worker ended unexpectedly (crash, `process.exit`, out of memory) or was terminated (timeout, cancel). It is replaced. */
  'worker:died': { worker: number; reason: 'crashed' | 'timeout' | 'cancelled'; message: string };
  /** A worker (first or replacement) finished starting. */
  'worker:ready': { worker: number };
}

export interface WorkerPool {
  /** Number of worker slots (the concurrency). */
  readonly size: number;
  run(task: PoolTask, options?: RunTaskOptions): Promise<TaskOutcome>;
  on<E extends keyof WorkerPoolEvents>(
    event: E,
    listener: (payload: WorkerPoolEvents[E]) => void,
  ): () => void;
  /** Terminate every worker; tasks still queued or running end with reason 'cancelled'. Idempotent. */
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Number of workers. Default: the available cores (os.availableParallelism / navigator.hardwareConcurrency). */
  readonly size?: number;
  /**
   * Most tasks sent to one worker in one message. Ready tasks are batched so that thousands of tiny functions do
   * not pay a message round trip each; a batch is never larger than an even share of the queue, so long tasks
   * still spread over all workers. Default 64.
   */
  readonly maxBatchSize?: number;
  /** Node only: V8 heap limits per worker, so a runaway allocation kills the worker, not the process. Default: none. */
  readonly resourceLimits?: {
    readonly maxOldGenerationSizeMb?: number;
    readonly maxYoungGenerationSizeMb?: number;
    readonly stackSizeMb?: number;
  };
}

/** Default pool size when none is given: the cores this process may use, at least 1. */
export function defaultPoolSize(available: number | undefined): number {
  return Math.max(1, Math.floor(available ?? 1));
}
