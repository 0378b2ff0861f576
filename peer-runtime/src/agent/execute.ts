/**
 * Runs one assigned function on a peer: its inputs come inline, from this peer's holdings, or fetched from the
 * listed holders (none has it: `task:failed` with reason `input-lost` naming the hash) → the function runs on the
 * WorkerPool with its `timeoutMs` → the encoded result is kept under the function's hash → `task:result` (bytes
 * inline up to the inline limit) or `task:failed` with reason, message and stack; either carries what the function
 * printed (captured in its worker, never written to this peer's console).
 */
import type { FunctionSpec } from '../dag/types.js';
import { parseArgRef } from '../dag/types.js';
import { encodeValue } from '../protocol/value-codec.js';
import type { WorkerPool } from '../worker/pool.js';
import type { AgentHoldings, InputValue } from './holdings.js';
import type { AgentReplies } from './replies.js';
import type { AgentTask } from './task.js';

export interface ExecuteDeps {
  readonly pool: WorkerPool;
  readonly holdings: AgentHoldings;
  readonly replies: AgentReplies;
  /** Largest result sent inline with its completion. */
  readonly inlineLimit: number;
  /**
   * When each worker last finished something. The pool stamps every function of a batch with the batch's start,
   * so a function's own cost is measured from when its worker became free: the time it really took the worker.
   */
  readonly workerFreeAt: Map<number, number>;
}

/** The call arguments of `task`, or undefined when an input could not be had (the task was answered then). */
async function callArgs(task: AgentTask, deps: ExecuteDeps): Promise<unknown[] | undefined> {
  const a = task.assignment;
  const spec: FunctionSpec = a.spec;
  const args: unknown[] = [];
  const values = new Map<string, unknown>();
  for (const ref of spec.args) {
    const { producer, output } = parseArgRef(ref);
    if (!values.has(producer)) {
      let got: InputValue | undefined;
      try {
        // Inline and recently computed inputs are at hand: no await (a microtask per input adds up).
        got = deps.holdings.inputValueNow(producer, a) ?? (await deps.holdings.inputValue(producer, a));
      } catch (error) {
        deps.replies.reply(task, {
          ok: false,
          reason: 'input-lost',
          message: `input '${producer}' could not be decoded: ${(error as Error).message}`,
          missingInput: a.inputs[producer]?.hash ?? producer,
        });
        return undefined;
      }
      if (!got.ok) {
        deps.replies.reply(task, {
          ok: false,
          reason: 'input-lost',
          message: `input '${producer}' (hash ${got.hash}) is on none of its holders`,
          missingInput: got.hash,
        });
        return undefined;
      }
      values.set(producer, got.value);
    }
    const value = values.get(producer);
    args.push(output === undefined ? value : (value as readonly unknown[])[output]);
  }
  for (const extra of spec.extraArgs ?? []) args.push(extra);
  return args;
}

export async function executeTask(task: AgentTask, deps: ExecuteDeps): Promise<void> {
  const spec = task.assignment.spec;
  const args = await callArgs(task, deps);
  if (args === undefined || task.cancel.aborted) return;
  const outcome = await deps.pool.run(
    { functionId: spec.id, code: spec.code, args, outputs: spec.outputs ?? 1 },
    {
      signal: task.cancel,
      ...(spec.cost?.estimateMs !== undefined && { estimateMs: spec.cost.estimateMs }),
      ...(spec.timeoutMs !== undefined && { timeoutMs: spec.timeoutMs }),
      ...(spec.cost?.memoryMB !== undefined && { memoryMB: spec.cost.memoryMB }),
      onStart: () => {
        task.started = true;
      },
    },
  );
  if (!outcome.ok) {
    deps.replies.reply(task, {
      ok: false,
      reason: outcome.reason,
      message: outcome.message,
      ...(outcome.stack !== undefined && { stack: outcome.stack }),
      ...(outcome.output && { output: outcome.output }),
    });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(outcome.value);
  } catch (error) {
    deps.replies.reply(task, {
      ok: false,
      reason: 'threw',
      message: `its result cannot be encoded: ${(error as Error).message}`,
      ...(outcome.output && { output: outcome.output }),
    });
    return;
  }
  const hash = task.assignment.hash;
  deps.holdings.remember(hash, outcome.value);
  if (spec.cache === false) deps.holdings.keepTransient(hash, bytes);
  else deps.holdings.keep(hash, bytes, false);
  const freeAt = deps.workerFreeAt.get(outcome.worker) ?? 0;
  deps.workerFreeAt.set(outcome.worker, outcome.endedAt);
  deps.replies.reply(task, {
    ok: true,
    size: bytes.byteLength,
    durationMs: Math.max(0, outcome.endedAt - Math.max(outcome.startedAt, freeAt)),
    ...(bytes.byteLength <= deps.inlineLimit && { inline: bytes }),
    ...(outcome.output && { output: outcome.output }),
  });
}
