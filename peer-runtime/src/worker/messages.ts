/**
 * What the pool and its workers say to each other (through comlink). Compact tuples rather than objects: a batch
 * of thousands of tiny tasks is structured-cloned, and every key name would be cloned with every task.
 */
import type { CodeRef } from '../dag/types.js';
import type { FunctionOutput } from '../run/output.js';

/** A code definition, sent once per worker per distinct code (workers cache compiled functions by id). */
export type WireCodeDef = readonly [codeId: number, code: CodeRef];

/** One call: which code, for which function (error messages), with which arguments, expecting how many outputs. */
export type WireTask = readonly [
  codeId: number,
  functionId: string,
  args: readonly unknown[],
  outputs: number,
];

/**
 * A batch: new code definitions first, then the calls, run one after another in order. A worker may be sent its
 * next batch while it runs one (pool-core.ts pipelines short work); it runs them one after another, in the order
 * they were sent, and answers each in that order.
 */
export interface WireBatch {
  /** Numbers the batches sent to one worker (1, 2, ...): written to the progress cell when the batch starts. */
  readonly seq: number;
  readonly defs: readonly WireCodeDef[];
  readonly tasks: readonly WireTask[];
}

/**
 * The progress cell (a SharedArrayBuffer the pool and one worker share) holds, at index {@link PROGRESS_CALL},
 * the index in its batch of the call being run (-1 before the first) and, at {@link PROGRESS_BATCH}, the `seq`
 * of that batch: when the worker dies holding two batches, these say which call of which batch killed it.
 */
export const PROGRESS_CALL = 0;
export const PROGRESS_BATCH = 1;
/** Int32 cells in a progress buffer. */
export const PROGRESS_CELLS = 2;

/**
 * Per call: `[1, value]` on success, `[0, message, stack]` on a throw (or a rejected promise), and
 * `[0, message, stack, attempted]` when the sandbox refused something (`attempted` names it: `'process'`,
 * `'import()'`, `module 'file:///x.js'`).
 */
export type WireOutcome =
  | readonly [ok: 1, value: unknown]
  | readonly [ok: 0, message: string, stack: string | undefined, attempted?: string];

/** How a worker treats code, sent once when it starts (workerData on Node, `init` in browsers). */
export interface WireWorkerPolicy {
  /** Run code with the worker's full powers instead of in the sandbox. */
  readonly trustCode: boolean;
  /** Module URLs the worker may import: `'any'`, or http(s) URL prefixes (module-policy.ts). */
  readonly modules: 'any' | readonly string[];
}

/**
 * What a batch answers: each call's outcome in order, the ms the worker spent on the batch (the pool sizes
 * batches by time per call; measured in the worker, message latency does not inflate it), and, when any call
 * printed, what each call printed (by call index; absent for calls that printed nothing).
 */
export type WireBatchResult = readonly [
  outcomes: WireOutcome[],
  busyMs: number,
  output?: readonly (FunctionOutput | undefined)[],
];

/** The API a worker exposes through comlink. */
export interface WorkerApi {
  /** Resolves once the worker is up; the pool dispatches only to ready workers, so timeouts do not count start-up. */
  ping(): true;
  runBatch(batch: WireBatch): WireBatchResult | Promise<WireBatchResult>;
}
