/**
 * The contribute page's pool: a real Web Worker pool with one worker per core, behind a gate that lets only
 * `slots` functions run at once. The cores slider moves the gate, not the workers: a resize takes effect at once
 * (no worker restarts, nothing running is killed), and `size` reports the slots, which is what the mesh peer
 * advertises. It also tells the page what is running, since the page shows it.
 */
import type {
  CancelSignal,
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
  const clamp = (n: number): number => Math.max(1, Math.min(inner.size, Math.floor(n)));
  let slots = clamp(initialSlots);
  let active = 0;
  const waiting: Array<() => void> = [];
  const runningNow = new Map<number, string>();
  let nextTicket = 0;
  const listeners = new Set<(activity: SlotActivity) => void>();
  const emit = (activity: SlotActivity): void => {
    for (const l of listeners) l(activity);
  };

  const admit = (): void => {
    while (active < slots && waiting.length > 0) {
      active++;
      waiting.shift()!();
    }
  };

  /** Resolves when a slot is ours; false when the caller aborted while waiting. */
  const acquire = (signal: CancelSignal | undefined): Promise<boolean> => {
    if (signal?.aborted) return Promise.resolve(false);
    if (active < slots && waiting.length === 0) {
      active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        signal?.removeEventListener('abort', onAbort);
        const at = waiting.indexOf(go);
        if (at >= 0) waiting.splice(at, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort);
      waiting.push(go);
    });
  };

  return {
    get size() {
      return slots;
    },
    ready: () => inner.ready(),
    async run(task: PoolTask, options: RunTaskOptions = {}): Promise<TaskOutcome> {
      if (!(await acquire(options.signal))) {
        return {
          ok: false,
          reason: 'cancelled',
          message: 'cancelled before it started',
          endedAt: Date.now(),
        };
      }
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
        active--;
        if (runningNow.delete(ticket))
          emit({ kind: 'ended', functionId: task.functionId, ok: outcome?.ok ?? false });
        admit();
      }
    },
    setSlots(n: number) {
      slots = clamp(n);
      admit();
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
