/**
 * A call of the pool from `run` until its outcome, and how each way it can end becomes a `TaskOutcome`: answered
 * by its worker, refused by structured clone, or lost with a worker that died.
 */
import type { WireOutcome } from './messages.js';
import type { RepeatFilter, StreamedOutput } from './output-stream.js';
import type { PoolTask, RunTaskOptions, TaskOutcome } from './pool.js';
import type { BatchLoss, Slot } from './worker-supervisor.js';

export interface PendingCall {
  readonly task: PoolTask;
  readonly options: RunTaskOptions | undefined;
  readonly codeId: number;
  readonly resolve: (outcome: TaskOutcome) => void;
  /** Must travel in a batch of its own (it has a timeout, or its batch lost a worker without a progress cell). */
  alone: boolean;
  done: boolean;
  /** The worker slot it was sent to (running or pipelined there); undefined while queued. */
  slot: Slot<PendingCall> | undefined;
  /** When its batch became the one its worker runs. */
  startedAt: number | undefined;
  /** What the call streamed so far (output-stream.ts); made at its first chunk. */
  printed: StreamedOutput | undefined;
  /** Run again after a worker death: what earlier runs passed on, not to be passed on twice (output-stream.ts). */
  repeat: RepeatFilter | undefined;
}

export type PoolSlot = Slot<PendingCall>;

/** The outcome of call `p` from its worker's answer `o` (`output`: what it printed, if anything). */
export function answeredOutcome(
  p: PendingCall,
  o: WireOutcome,
  worker: number,
  endedAt: number,
  output: TaskOutcome['output'],
): TaskOutcome {
  const startedAt = p.startedAt!;
  // `output` is set only where the call printed (no spread: this runs per call of every batch).
  return o[0] === 1
    ? { ok: true, value: o[1], worker, startedAt, endedAt, output }
    : {
        ok: false,
        reason: o[3] === undefined ? 'threw' : 'sandbox',
        message: o[1],
        stack: o[2],
        attempted: o[3],
        worker,
        startedAt,
        endedAt,
        output,
      };
}

/** A call alone in its batch whose arguments or result structured clone refused. */
export function cloneFailure(p: PendingCall, worker: number, error: unknown): TaskOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    reason: 'threw',
    message: `its arguments or result could not be sent between threads (${message}); values must be structured-cloneable`,
    worker,
    startedAt: p.startedAt,
    endedAt: Date.now(),
  };
}

/** The call that was running when its worker died on its own. */
export function deathOutcome(
  p: PendingCall,
  loss: BatchLoss,
  message: string,
  worker: number,
  endedAt: number,
): TaskOutcome {
  return {
    ok: false,
    reason: loss.outOfMemory ? 'out-of-memory' : 'worker-died',
    message: loss.outOfMemory ? `its worker ran out of memory: ${message}` : `its worker died: ${message}`,
    worker,
    startedAt: p.startedAt,
    endedAt,
  };
}
