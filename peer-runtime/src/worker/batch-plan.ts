/**
 * Which worker gets which batch when the pool flushes its queue (pool-core.ts has the why of batching and
 * pipelining in its header): first each idle worker, as long as fewer than `limit` run (`WorkerPool.setSlots`),
 * gets an even share of the queue, at most `maxBatchSize` calls and `BATCH_BUDGET_MS` of expected work; then,
 * if calls still wait, busy workers with short measured work get the next batch pipelined behind theirs.
 * Pipelining never adds to what runs at once, so the limit does not apply to it.
 */
import type { PendingCall, PoolSlot } from './pending-call.js';
import type { TaskQueue } from './task-queue.js';

/** Expected work per batch, ms: small against the functions worth spreading, large against per-batch overhead. */
export const BATCH_BUDGET_MS = 5;

/** Longest expected batch another is pipelined behind, ms: behind longer work the round trip saved is negligible. */
const PIPELINE_BEHIND_MS = 25;

export interface FillOptions {
  /** Most workers that may run a batch at once. */
  readonly limit: number;
  readonly maxBatchSize: number;
  /** How long a call is expected to take, ms. */
  readonly expectedMs: (p: PendingCall) => number;
  /** Sends the batch (pool-core's `dispatch`, which marks an idle slot busy). */
  readonly dispatch: (slot: PoolSlot, batch: PendingCall[]) => void;
}

export function fillWorkers(slots: readonly PoolSlot[], queue: TaskQueue<PendingCall>, o: FillOptions): void {
  let idle = 0;
  let busy = 0;
  for (const s of slots) {
    if (s.state === 'idle') idle++;
    else if (s.state === 'busy') busy++;
  }
  idle = Math.min(idle, Math.max(0, o.limit - busy));
  for (let k = 0; k < slots.length && idle > 0 && queue.size > 0; k++) {
    const slot = slots[k]!;
    if (slot.state !== 'idle') continue;
    const share = Math.min(o.maxBatchSize, Math.ceil(queue.size / idle--));
    const batch = queue.take(share, o.expectedMs, BATCH_BUDGET_MS);
    if (batch.length > 0) o.dispatch(slot, batch);
  }
  if (queue.size === 0) return;
  const behind = slots.filter(
    (s) =>
      s.state === 'busy' &&
      s.next === undefined &&
      s.timer === undefined &&
      s.expectedMs <= PIPELINE_BEHIND_MS,
  );
  for (let k = 0; k < behind.length && queue.size > 0; k++) {
    // A call with a timeout waits for an idle worker: its timeout counts from dispatch.
    if (queue.peek()?.options?.timeoutMs !== undefined) return;
    const share = Math.min(o.maxBatchSize, Math.ceil(queue.size / (behind.length - k)));
    const batch = queue.take(share, o.expectedMs, BATCH_BUDGET_MS);
    if (batch.length > 0) o.dispatch(behind[k]!, batch);
  }
}
