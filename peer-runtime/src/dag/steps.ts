/**
 * Work over a whole DAG done in steps: a generator that yields between chunks of functions. Synchronous callers
 * drain it at once (`runSteps`); a caller that must keep its event loop answering (a coordinator taking in a
 * 100,000-function DAG while its heartbeats must go out, coordinator/run-intake.ts) drains it with a macrotask
 * between steps (`runStepsYielding`). Generators keep one implementation for both, so the two cannot drift.
 */

/** Functions per step: ~5–10 ms of validation or hashing here, small against any liveness timeout. */
export const STEP_FUNCTIONS = 2000;

/** Runs `steps` to its end without pausing and returns its result. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Runs `steps` to its end, letting the event loop run (timers, I/O: heartbeats, pings) between steps that took
 * together more than `sliceMs` (default 20). `setImmediate` where there is one (Node), else a zero timeout.
 */
export async function runStepsYielding<T>(steps: Generator<void, T, void>, sliceMs = 20): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
}

/** A macrotask boundary: what a microtask (`await`) alone is not, since timers and I/O wait behind microtasks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
