/**
 * Per-task heap caps (`RunTaskOptions.memoryMB`, from `cost.memoryMB`) on top of pools whose heap cap is fixed
 * when a worker is spawned (Node's `resourceLimits`).
 *
 * A task with `memoryMB` runs in a pool whose workers are capped at that many MB rounded up to a power of two
 * (at least 32 MB), made on first use and kept until the router closes; everything else runs in the main pool.
 * Rounding keeps the number of such pools small (a DAG whose functions declare 100, 120 and 128 MB shares one).
 * Each capped pool has `cappedSize` workers, started when first needed: while tasks of several caps run at once,
 * more workers than the main pool's `size` are busy (the router does not share one concurrency budget between
 * them), which a mesh peer's slot count does not reflect.
 *
 * Worker numbers (`onStart`, outcomes, events) of the capped pools follow the main pool's, so that `local:N`
 * names one worker: the k-th capped pool made numbers its workers from `size + k · cappedSize`.
 */
import type { PoolTask, RunTaskOptions, TaskOutcome, WorkerPool, WorkerPoolEvents } from './pool.js';

/** The heap cap, MB, a task with `memoryMB` gets: a power of two, at least 32. */
export function memoryCapFor(memoryMB: number): number {
  let cap = 32;
  while (cap < memoryMB) cap *= 2;
  return cap;
}

interface Listening {
  readonly event: keyof WorkerPoolEvents;
  readonly listener: (payload: { worker: number }) => void;
  readonly offs: (() => void)[];
}

/** Subscribes `l` to a capped pool's events, with that pool's worker numbers shifted by `offset`. */
function subscribe(pool: WorkerPool, offset: number, l: Listening): () => void {
  return pool.on(l.event, (payload) => l.listener({ ...payload, worker: payload.worker + offset }));
}

export function withMemoryCaps(
  main: WorkerPool,
  cappedSize: number,
  makeCapped: (capMB: number) => WorkerPool,
): WorkerPool {
  const capped = new Map<number, { pool: WorkerPool; offset: number }>();
  /** Listeners of the router, each with its unsubscribers (one per pool it was added to). */
  const listeners: Listening[] = [];
  let closed = false;
  /** The last `setSlots`, applied to capped pools made later too. */
  let slots: number | undefined;

  function cappedPool(memoryMB: number): { pool: WorkerPool; offset: number } {
    const cap = memoryCapFor(memoryMB);
    let entry = capped.get(cap);
    if (!entry) {
      entry = { pool: makeCapped(cap), offset: main.size + capped.size * cappedSize };
      if (slots !== undefined) entry.pool.setSlots?.(slots);
      capped.set(cap, entry);
      for (const l of listeners) l.offs.push(subscribe(entry.pool, entry.offset, l));
    }
    return entry;
  }

  return {
    size: main.size,
    // Each pool gets the limit on its own (as each has its own workers; see the header on shared budgets).
    setSlots(n: number) {
      slots = n;
      main.setSlots?.(n);
      for (const { pool } of capped.values()) pool.setSlots?.(n);
    },
    run(task: PoolTask, options?: RunTaskOptions): Promise<TaskOutcome> {
      const memoryMB = options?.memoryMB;
      if (memoryMB === undefined || closed || !(memoryMB > 0)) return main.run(task, options);
      const { pool, offset } = cappedPool(memoryMB);
      const onStart = options?.onStart;
      const shifted: RunTaskOptions = {
        ...options,
        onStart: onStart && ((worker, at) => onStart(worker + offset, at)),
      };
      return pool
        .run(task, shifted)
        .then((outcome) =>
          outcome.worker === undefined ? outcome : { ...outcome, worker: outcome.worker + offset },
        );
    },
    on(event, listener) {
      const l: Listening = { event, listener: listener as (payload: { worker: number }) => void, offs: [] };
      listeners.push(l);
      l.offs.push(main.on(event, listener));
      for (const { pool, offset } of capped.values()) l.offs.push(subscribe(pool, offset, l));
      return () => {
        const i = listeners.indexOf(l);
        if (i >= 0) listeners.splice(i, 1);
        for (const off of l.offs) off();
      };
    },
    // Capped pools start when a task first needs them; the peer's advertised slots are the main pool's.
    ready: () => main.ready(),
    async close(): Promise<void> {
      closed = true;
      await Promise.all([main.close(), ...[...capped.values()].map((c) => c.pool.close())]);
    },
  };
}
