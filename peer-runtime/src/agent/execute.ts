/**
 * Runs one assigned function on a peer: its inputs come inline, from this peer's holdings, or fetched from the
 * listed holders (none gives it: `task:failed` with reason `input-lost` naming the hash and, per holder, why:
 * it no longer has it, it did not answer, or no link to it opened and why — ICE failed, timed out) → the function runs on the
 * WorkerPool with its `timeoutMs` → the encoded result is kept under the function's hash → `task:result` (bytes
 * inline up to the inline limit) or `task:failed` with reason, message and stack; either carries what the function
 * printed (captured in its worker, never written to this peer's console).
 */
import type { FunctionSpec } from '../dag/types.js';
import { parseArgRef } from '../dag/types.js';
import { digestOf } from '../mesh/fetch-grants.js';
import type { FetchFailure } from '../mesh/port.js';
import type { FetchedInput, UnreachableHolder } from '../protocol/messages.js';
import { encodeValue } from '../protocol/value-codec.js';
import type { FunctionOutput } from '../run/output.js';
import { linkSetupErrorIn } from '../transport/frame-link.js';
import { argumentValue, poolTaskOf, specRunOptions } from '../worker/call.js';
import type { TaskOutcome, WorkerPool } from '../worker/pool.js';
import { type AgentHoldings, type InputValue, inputOf } from './holdings.js';
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
  /** How the link to `peer` connected (`describeLinkPath`), or `unknown`. */
  readonly linkTo: (peer: string) => string;
  /** This peer's measured figures for its link to `peer` (its port's LinkMeter), when it has any. */
  readonly linkFigures?: (
    peer: string,
  ) => { readonly rttMs?: number; readonly bytesPerSecond?: number } | undefined;
}

/** Why no holder gave an input, one clause per holder: the link error of those that could not be reached. */
export function describeFetchFailures(failures: readonly FetchFailure[]): string {
  if (failures.length === 0) return 'it has no live holder';
  return failures
    .map((f) =>
      f.kind === 'missing'
        ? `holder '${f.peer}' no longer has it`
        : f.kind === 'timeout'
          ? `holder '${f.peer}' did not answer in time`
          : f.kind === 'forged'
            ? `holder '${f.peer}' served bytes that do not match the result's digest`
            : `holder '${f.peer}' is unreachable: ${unreachableReason(f.error)}`,
    )
    .join('; ');
}

/** The error's message, and the link's own (ICE failed or timed out, and why) when a wrapper left it out. */
function unreachableReason(error: Error | undefined): string {
  if (!error) return 'no link could be opened';
  const link = linkSetupErrorIn(error);
  return link && link !== error && !error.message.includes(link.message)
    ? `${error.message} (${link.message})`
    : error.message;
}

/** The holders no link could be opened to, as `task:failed` reports them to the coordinator. */
export function unreachableHolders(failures: readonly FetchFailure[]): UnreachableHolder[] {
  return failures
    .filter((f) => f.kind === 'unreachable')
    .map((f) => ({ peer: f.peer, failure: linkSetupErrorIn(f.error)?.failure ?? 'unreachable' }));
}

/** Where an input came from: the holder, how the link to it connected, and its figures when measured. */
function fetchedInputOf(peer: string, deps: ExecuteDeps): FetchedInput {
  const figures = deps.linkFigures?.(peer);
  return {
    peer,
    link: deps.linkTo(peer),
    ...(figures?.rttMs !== undefined && { rttMs: figures.rttMs }),
    ...(figures?.bytesPerSecond !== undefined && { bytesPerSecond: figures.bytesPerSecond }),
  };
}

/** The input values of `task` in `args` order (extraArgs follow in poolTaskOf), or undefined when an input could not
 * be had (the task was answered then). */
async function callArgs(
  task: AgentTask,
  deps: ExecuteDeps,
  fetchedFrom: FetchedInput[],
): Promise<unknown[] | undefined> {
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
          missingInput: inputOf(a, producer)?.hash ?? producer,
        });
        return undefined;
      }
      if (!got.ok) {
        const failures = got.failures ?? [];
        const unreachable = unreachableHolders(failures);
        deps.replies.reply(task, {
          ok: false,
          reason: 'input-lost',
          message: `input '${producer}' (hash ${got.hash.slice(0, 12)}…) could not be fetched: ${describeFetchFailures(failures)}`,
          missingInput: got.hash,
          ...(fetchedFrom.length > 0 && { fetchedFrom }),
          ...(unreachable.length > 0 && { unreachable }),
        });
        return undefined;
      }
      if (got.from !== undefined) fetchedFrom.push(fetchedInputOf(got.from, deps));
      values.set(producer, got.value);
    }
    args.push(argumentValue(values.get(producer), output));
  }
  return args;
}

/**
 * An adopted assignment (agent/handover.ts) whose result this peer stored already, for the lost coordinator it
 * ran it for: answered from the store. Only for cacheable, deterministic functions, as a cache hit would be.
 */
async function answerFromStore(task: AgentTask, deps: ExecuteDeps): Promise<boolean> {
  const a = task.assignment;
  if (a.adopt !== true || a.spec.cache === false || a.spec.deterministic === false) return false;
  const bytes = await deps.holdings.heldBytes(a.hash);
  if (bytes === undefined || task.cancel.aborted) return false;
  deps.replies.noteAdopted();
  deps.replies.reply(task, {
    ok: true,
    size: bytes.byteLength,
    // Nothing ran now: the time it took once is not known here (0 keeps it out of speed estimates' way).
    durationMs: 0,
    ...(bytes.byteLength <= deps.inlineLimit ? { inline: bytes } : { digest: digestOf(bytes) }),
  });
  return true;
}

export async function executeTask(task: AgentTask, deps: ExecuteDeps): Promise<void> {
  const spec = task.assignment.spec;
  if (await answerFromStore(task, deps)) return;
  const fetchedFrom: FetchedInput[] = [];
  const fetchStart = performance.now();
  const args = await callArgs(task, deps, fetchedFrom);
  if (args === undefined || task.cancel.aborted) return;
  const fetchMs = performance.now() - fetchStart;
  const stream = task.output;
  const ran = await deps.pool.run(poolTaskOf(spec, args), {
    signal: task.cancel,
    ...specRunOptions(spec),
    onStart: () => {
      task.started = true;
    },
    ...(stream && { onOutput: (piece: FunctionOutput) => stream.add(piece) }),
  });
  // Streaming, the outcome carries only what no task:output did (output-stream.ts).
  const tail = stream?.finish();
  const outcome: TaskOutcome = stream ? withOutput(ran, tail) : ran;
  const runMs = outcome.startedAt !== undefined ? Math.max(0, outcome.endedAt - outcome.startedAt) : 0;
  if (task.started && (outcome.ok || outcome.reason !== 'cancelled')) deps.replies.noteExecuted();
  if (!outcome.ok) {
    deps.replies.reply(task, {
      ok: false,
      reason: outcome.reason,
      message: outcome.message,
      ...(outcome.stack !== undefined && { stack: outcome.stack }),
      ...(fetchedFrom.length > 0 && { fetchedFrom }),
      ...(outcome.output && { output: outcome.output }),
      phases: { fetchMs, runMs, storeMs: 0 },
    });
    return;
  }
  const storeStart = performance.now();
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
  else deps.holdings.keep(hash, bytes, false, task.coordinator);
  const storeMs = performance.now() - storeStart;
  const freeAt = deps.workerFreeAt.get(outcome.worker) ?? 0;
  deps.workerFreeAt.set(outcome.worker, outcome.endedAt);
  deps.replies.reply(task, {
    ok: true,
    size: bytes.byteLength,
    durationMs: Math.max(0, outcome.endedAt - Math.max(outcome.startedAt, freeAt)),
    ...(bytes.byteLength <= deps.inlineLimit ? { inline: bytes } : { digest: digestOf(bytes) }),
    ...(fetchedFrom.length > 0 && { fetchedFrom }),
    ...(outcome.output && { output: outcome.output }),
    phases: { fetchMs, runMs, storeMs },
  });
}

/** `outcome` with `output` as its output (none when undefined). */
function withOutput(outcome: TaskOutcome, output: FunctionOutput | undefined): TaskOutcome {
  const { output: _all, ...rest } = outcome;
  return output ? { ...rest, output } : rest;
}
