/**
 * The worker pool contract: run a function (carried as source text or a module reference) in a worker thread
 * (Node) or a Web Worker (browser), one at a time per worker, with a timeout and cancellation.
 *
 * Implementations: `createWorkerPool` in pool.node.ts (worker_threads) and pool.browser.ts (Web Workers); both
 * drive the same platform-neutral core (pool-core.ts) and the same in-worker executor (execute.ts). The local
 * engine and, later, a mesh peer run assigned functions through this very interface.
 */
import type { CodeRef } from '../dag/types.js';
import type { FunctionOutput } from '../run/output.js';
import type { CancelSignal } from './cancellation.js';
import type { WireWorkerPolicy } from './messages.js';
import { assertModulePrefixes } from './module-policy.js';

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
  /**
   * Called while the task runs with each piece of what it prints, as it prints (worker/output-stream.ts), and
   * always before its outcome: together the pieces are the outcome's `output`. A call re-run because another
   * call of its batch killed their worker does not pass on again the prints that repeat what its earlier run
   * passed on (output-stream.ts `RepeatFilter`); its outcome's `output` is the whole new run's.
   */
  readonly onOutput?: (output: FunctionOutput) => void;
  /**
   * The task's heap cap, MB (e.g. `cost.memoryMB`). Node: the task runs in a worker whose V8 old generation is
   * capped at this rounded up to a power of two (at least 32 MB); past it the worker is killed and replaced and
   * the task fails with reason 'out-of-memory'. Browsers cannot cap a Web Worker's heap: ignored there.
   * Default: the pool's own `resourceLimits` (none unless given).
   */
  readonly memoryMB?: number;
}

/**
 * - `threw`: the function threw or rejected; `sandbox`: it tried something the sandbox refuses (a SandboxError:
 *   deterministic, so never retried); `timeout`; `out-of-memory`: its worker passed its heap cap and was
 *   replaced; `worker-died`: its worker ended for any other reason; `cancelled`.
 */
export type TaskFailureReason =
  | 'threw'
  | 'sandbox'
  | 'timeout'
  | 'out-of-memory'
  | 'worker-died'
  | 'cancelled';

/** How a task ended. `run` never rejects: every failure is an outcome, so callers decide about retries. */
export type TaskOutcome =
  | {
      readonly ok: true;
      /** The returned value (awaited if it was a promise), as structured-cloned back from the worker. */
      readonly value: unknown;
      readonly worker: number;
      readonly startedAt: number;
      readonly endedAt: number;
      /** What the call printed (run/output.ts), when it printed anything. */
      readonly output?: FunctionOutput;
    }
  | {
      readonly ok: false;
      readonly reason: TaskFailureReason;
      readonly message: string;
      readonly stack?: string;
      /** For reason 'sandbox': what the function tried (`'process'`, `'import()'`, `module 'file:///x.js'`). */
      readonly attempted?: string;
      /** The worker slot, when the task had been dispatched. */
      readonly worker?: number;
      readonly startedAt?: number;
      readonly endedAt: number;
      /**
       * What the call printed before it failed, also when its worker died or was terminated (timeout,
       * cancellation, out of memory): the pool keeps what the worker streamed while the call ran.
       */
      readonly output?: FunctionOutput;
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
  /**
   * Resolves once every worker has started (for a sandboxed worker: loaded and locked itself down), or once the
   * pool gave up starting them. Workers start when the pool is made; a peer awaits this before it advertises its
   * slots, so that its first functions do not pay the start-up (in browsers SES alone can take hundreds of ms)
   * and look like a straggler's. Never rejects.
   */
  ready(): Promise<void>;
  /**
   * Run at most `slots` batches at once (1 … `size`, clamped) from now on; `size` and the workers stay as they
   * are, so a change takes effect at once and nothing running is stopped. A contribute tab's cores slider uses
   * it: gating calls one at a time outside the pool would forbid batching, and cost a worker round trip per
   * function. Pools that cannot (wrappers) leave it out.
   */
  setSlots?(slots: number): void;
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
  /**
   * Run code with the workers' full powers (`new Function`, `process`, `import()`, every module) instead of in the
   * sandbox (worker/sandbox.ts). For code you wrote or trust; a mesh peer that trusts code says so loudly and
   * advertises the tag `trusted-code`. Default false.
   */
  readonly trustCode?: boolean;
  /**
   * Module code references the workers may import (ignored with `trustCode`, which allows every module):
   * `'any'`, or a list of http(s) URL prefixes (worker/module-policy.ts; `file:` and `data:` are never allowed
   * by a list). Default `'any'`: a pool you make runs your own modules. Mesh peers pass their operator's list.
   */
  readonly allowModules?: 'any' | readonly string[];
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

/** What a pool's options tell its workers about code (checked here, so a bad origin fails when the pool is made). */
export function workerPolicy(options: WorkerPoolOptions): WireWorkerPolicy {
  const modules = options.allowModules ?? 'any';
  if (modules !== 'any') assertModulePrefixes(modules);
  return { trustCode: options.trustCode === true, modules: modules === 'any' ? 'any' : [...modules] };
}
