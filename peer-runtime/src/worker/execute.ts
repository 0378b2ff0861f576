/**
 * The in-worker executor, shared by the Node and browser worker entries: compiles code once per distinct code id,
 * runs a batch of calls one after another, and reports each outcome.
 *
 * Code is compiled in the sandbox (sandbox.ts) unless the worker trusts code; module references are imported
 * only when the worker's module policy allows their URL (module-policy.ts). What the sandbox refuses is
 * reported as a sandbox outcome (`[0, message, stack, attempted]`), which the pool turns into reason 'sandbox'.
 *
 * Why synchronous when it can be: a batch of no-op functions should cost a loop, not a promise per call, so a
 * batch only turns async at the first function that returns a thenable (or whose module is still loading).
 */
import type { FunctionOutput } from '../run/output.js';
import { CompiledCode, describe } from './compiled-code.js';
import {
  PROGRESS_BATCH,
  PROGRESS_CALL,
  type WireBatch,
  type WireBatchResult,
  type WireOutcome,
  type WorkerApi,
} from './messages.js';
import type { ModulePolicy } from './module-policy.js';
import type { OutputCapture } from './output-capture.js';
import type { Sandbox } from './sandbox.js';

/** How a worker treats code. */
export interface ExecutorPolicy {
  /** Compile source code here; undefined when the worker trusts code (`new Function`, full powers). */
  readonly sandbox?: Sandbox;
  /** Which module URLs may be imported. */
  readonly modules: ModulePolicy;
  /**
   * Where the worker's console writes (installed as its global console by worker-policy.ts): each call's
   * output is then answered with its outcome. Default: none (what functions print goes where the console goes).
   */
  readonly output?: OutputCapture;
}

/**
 * @param progress When given (a SharedArrayBuffer view), the batch's `seq` is written to `progress[PROGRESS_BATCH]`
 *   when it starts and the index of the call being run to `progress[PROGRESS_CALL]` before each call, so that if
 *   the worker dies the pool knows which call of which batch killed it (messages.ts).
 * @param policy Default: no sandbox, every module (what a worker that trusts code does).
 */
export function createExecutor(
  progress?: Int32Array,
  policy: ExecutorPolicy = { modules: 'any' },
): WorkerApi {
  const { sandbox, output } = policy;
  /** The function whose call is running: the sandbox names it when the code touches what it refuses. */
  let current = '';
  const currentId = (): string => current;

  const code = new CompiledCode(sandbox, policy.modules, currentId);

  /**
   * The batch still running asynchronously, if any. The pool may send the next batch while one runs (pipelining);
   * comlink calls `runBatch` as soon as that message arrives, so a batch that arrives while another awaits a
   * promise is chained behind it: calls never interleave (the progress cell and output capture rely on that).
   */
  let tail: Promise<WireBatchResult> | undefined;

  function runBatch(batch: WireBatch): WireBatchResult | Promise<WireBatchResult> {
    const run = (): WireBatchResult | Promise<WireBatchResult> => runNow(batch);
    const result = tail === undefined ? run() : tail.then(run, run);
    if (result instanceof Promise) {
      tail = result;
      // Only the latest batch matters: when it settles nothing waits behind it any more.
      const clear = (): void => {
        if (tail === result) tail = undefined;
      };
      result.then(clear, clear);
    }
    return result;
  }

  function runNow(batch: WireBatch): WireBatchResult | Promise<WireBatchResult> {
    if (progress) {
      progress[PROGRESS_BATCH] = batch.seq;
      progress[PROGRESS_CALL] = -1;
    }
    const startedAt = performance.now();
    const printed: (FunctionOutput | undefined)[] = [];
    const timed = (outcomes: WireOutcome[]): WireBatchResult =>
      printed.length > 0
        ? [outcomes, performance.now() - startedAt, printed]
        : [outcomes, performance.now() - startedAt];
    const outcomes = runCalls(batch, printed);
    return Array.isArray(outcomes) ? timed(outcomes) : outcomes.then(timed);
  }

  /** Call `i` ended: keep what it printed (sparse: only calls that printed have an entry). */
  function endOutput(printed: (FunctionOutput | undefined)[], i: number): void {
    const lines = output?.end();
    if (lines) printed[i] = lines;
  }

  function runCalls(
    batch: WireBatch,
    printed: (FunctionOutput | undefined)[],
  ): WireOutcome[] | Promise<WireOutcome[]> {
    for (const [codeId, ref] of batch.defs) code.define(codeId, ref);
    const { tasks } = batch;
    const out: WireOutcome[] = new Array(tasks.length);

    const from = (start: number): WireOutcome[] | Promise<WireOutcome[]> => {
      for (let i = start; i < tasks.length; i++) {
        if (progress) progress[PROGRESS_CALL] = i;
        const [codeId, functionId, args, outputs] = tasks[i]!;
        const fn = code.get(codeId);
        if (fn === undefined) {
          out[i] = [0, `function '${functionId}': code ${codeId} was never sent to this worker`, undefined];
          continue;
        }
        if (fn instanceof Error) {
          out[i] = code.failure(functionId, fn);
          continue;
        }
        if (typeof fn !== 'function') {
          // A module still loading: wait for it, then run this call again.
          return fn.then(
            () => from(i),
            () => from(i),
          );
        }
        let result: unknown;
        current = functionId;
        output?.begin(i, functionId);
        try {
          result = fn(...args);
        } catch (error) {
          out[i] = code.failure(functionId, error);
          endOutput(printed, i);
          continue;
        }
        if (isThenable(result)) {
          return Promise.resolve(result).then(
            (value) => {
              out[i] = checkOutputs(functionId, value, outputs);
              endOutput(printed, i);
              return from(i + 1);
            },
            (error: unknown) => {
              out[i] = code.failure(functionId, error);
              endOutput(printed, i);
              return from(i + 1);
            },
          );
        }
        out[i] = checkOutputs(functionId, result, outputs);
        endOutput(printed, i);
      }
      return out;
    };
    return from(0);
  }

  return { ping: () => true, runBatch };
}

function checkOutputs(functionId: string, value: unknown, outputs: number): WireOutcome {
  if (outputs > 1) {
    if (!Array.isArray(value)) {
      return [
        0,
        `function '${functionId}' declares outputs: ${outputs} but returned ${describe(value)}, not an array`,
        undefined,
      ];
    }
    if (value.length !== outputs) {
      return [
        0,
        `function '${functionId}' declares outputs: ${outputs} but returned an array of ${value.length} values`,
        undefined,
      ];
    }
  }
  return [1, value];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
