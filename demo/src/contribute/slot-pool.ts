/**
 * The contribute page's pool: a real Web Worker pool with one worker per core, of which only `slots` run at once
 * (the pool's own `setSlots`). The cores slider moves that limit, not the workers: a resize takes effect at once
 * (no worker restarts, nothing running is killed), and `size` reports the slots, which is what the mesh peer
 * advertises. It also tells the page what is running, since the page shows it.
 *
 * Why the limit lives in the pool and not in a gate here: a gate that let one call at a time into the pool kept
 * the pool from batching, so every function paid a worker round trip and a reply of its own (a tab ran ~620
 * no-ops/s per slot against ~3,900/s for a single-slot Node peer, `pnpm bench browser`). "Running" here means
 * handed to a worker, as the pool's `onStart` says: calls of one batch start together and run in turn.
 */
import type {
  PoolTask,
  RunTaskOptions,
  TaskOutcome,
  WorkerPool,
  WorkerPoolEvents,
} from '@handout/peer-runtime';

export interface SlotActivity {
  readonly kind: 'started' | 'ended';
  readonly functionId: string;
  /** For `ended`: whether the function succeeded. */
  readonly ok?: boolean;
}

export interface SlotPool extends WorkerPool {
  /** Slots in use from now on (1 … the inner pool's size). Queued functions start as slots free up. */
  setSlots(slots: number): void;
  /** Function ids running now, in start order. */
  running(): readonly string[];
  onActivity(listener: (activity: SlotActivity) => void): () => void;
}

export function createSlotPool(inner: WorkerPool, initialSlots: number): SlotPool {
  const setInner = inner.setSlots?.bind(inner);
  if (setInner === undefined) throw new TypeError('the slot pool needs a worker pool with setSlots');
  const clamp = (n: number): number => Math.max(1, Math.min(inner.size, Math.floor(n)));
  let slots = clamp(initialSlots);
  setInner(slots);
  const runningNow = new Map<number, string>();
  let nextTicket = 0;
  const listeners = new Set<(activity: SlotActivity) => void>();
  const emit = (activity: SlotActivity): void => {
    for (const l of listeners) l(activity);
  };

  return {
    get size() {
      return slots;
    },
    ready: () => inner.ready(),
    async run(task: PoolTask, options: RunTaskOptions = {}): Promise<TaskOutcome> {
      const ticket = nextTicket++;
      let outcome: TaskOutcome | undefined;
      try {
        outcome = await inner.run(task, {
          ...options,
          onStart: (worker, at) => {
            runningNow.set(ticket, task.functionId);
            emit({ kind: 'started', functionId: task.functionId });
            options.onStart?.(worker, at);
          },
        });
        return outcome;
      } finally {
        if (runningNow.delete(ticket))
          emit({ kind: 'ended', functionId: task.functionId, ok: outcome?.ok ?? false });
      }
    },
    setSlots(n: number) {
      slots = clamp(n);
      setInner(slots);
    },
    running: () => [...runningNow.values()],
    onActivity(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    on<E extends keyof WorkerPoolEvents>(event: E, listener: (payload: WorkerPoolEvents[E]) => void) {
      return inner.on(event, listener);
    },
    close: () => inner.close(),
  };
}
