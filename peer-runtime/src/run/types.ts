/**
 * The run object: what `runLocal(dag)` and `mesh.submit(dag)` both return, so a progress bar, a CLI or a
 * dashboard follows a local run and a mesh run the same way.
 */
import type { TaskError } from '../errors.js';
import type { AttemptOutput } from './output.js';

export type FunctionStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One attempt of one function, kept so a failure says where and why every attempt died. */
export interface AttemptRecord {
  readonly attempt: number;
  /** Worker index locally (`local:3`), peer id on a mesh. */
  readonly peer: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly error?: string;
}

/** The record of one function after (or during) a run. Times are epoch milliseconds. */
export interface FunctionRecord {
  readonly id: string;
  readonly hash: string;
  status: FunctionStatus;
  attempts: number;
  /** Where the successful (or last) attempt ran: `local:N` for a local worker, the peer id on a mesh. */
  peer?: string;
  startedAt?: number;
  endedAt?: number;
  /** True when the result came from a cache and nothing executed. */
  cached?: boolean;
  /** The function's results: one value, or the array of `outputs` values. */
  results?: unknown;
  error?: TaskError;
  /** For skipped functions: the failed input that caused the skip. */
  skippedBecause?: string;
  history: AttemptRecord[];
  /**
   * What the function printed (console.log and friends in its worker), one entry per attempt that printed,
   * in the order they arrived; absent when nothing printed. Bounded per attempt (run/output.ts).
   */
  logs?: AttemptOutput[];
}

export interface RunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly functions: readonly FunctionRecord[];
}

/** Events a run emits, namespaced as `task:*`, `function:*` and `run:*`. */
export interface RunEvents {
  'task:queued': { id: string };
  'task:started': { id: string; attempt: number; peer: string; at: number };
  'task:succeeded': { id: string; attempt: number; peer: string; at: number; cached: boolean };
  'task:failed': { id: string; attempt: number; peer: string; at: number; error: TaskError; final: boolean };
  'task:retried': { id: string; attempt: number; delayMs: number };
  'task:skipped': { id: string; because: string };
  /** An attempt of function `id` printed something (sent once per attempt, with its outcome). */
  'function:log': { id: string } & AttemptOutput;
  'run:done': RunSummary;
}

export type RunEventName = keyof RunEvents;

export interface Run {
  readonly id: string;
  /** Resolves (never rejects) when every function has ended; `status` says how. */
  readonly done: Promise<RunSummary>;
  /** The value of one function (the array of outputs for multi-output functions); rejects with TaskError, SkippedError or CancelledError. */
  result(id: string): Promise<unknown>;
  on<E extends RunEventName>(event: E, listener: (payload: RunEvents[E]) => void): () => void;
  /** Live records, updated as the run goes. */
  records(): readonly FunctionRecord[];
  cancel(reason?: string): void;
}
