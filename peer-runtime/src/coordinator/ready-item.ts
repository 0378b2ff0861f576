/**
 * A function ready to be placed, as the coordinator's fair queue holds it (fair-queue.ts) and the dispatcher takes
 * it (dispatcher.ts). Its own module so the dispatcher's parts (waits.ts, blocked-peers.ts) can name it without
 * importing the dispatcher.
 */
import type { RunState } from './run-state.js';

export interface ReadyItem {
  /** The run's key (`RunState.key`), for the fair queue's round-robin between runs. */
  readonly runKey: string;
  readonly run: RunState;
  readonly index: number;
  /** Re-running a function that had succeeded, because its result was lost and is needed again. */
  readonly recompute: boolean;
}
