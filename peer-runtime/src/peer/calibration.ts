/**
 * The speed score a peer advertises (`PeerCapabilities.speed`): a short, fixed CPU workload run in one of the
 * peer's own workers, compared with the time a reference machine takes. Runtime-neutral: it only needs a
 * `WorkerPool`, so the browser contribute page measures its Web Workers with the same code and the same scale.
 *
 * Why in a worker, not on the main thread: functions run in workers, and a worker's JIT, priority and (in
 * browsers) throttling are what the scheduler must predict. Why the best of several rounds: the first round pays
 * compilation, and a busy machine makes single rounds noisy; the best round is the machine's speed when idle.
 */
import type { WorkerPool } from '../worker/pool.js';

/**
 * Integer mixing (xorshift and multiply) over `iterations` steps: pure CPU, no allocation, the same work in
 * every JS engine. Kept as source text because it travels to the worker like any function.
 */
export const CALIBRATION_SOURCE = `(iterations) => {
  const started = performance.now();
  let x = 0x9e3779b9 | 0;
  let acc = 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    acc = (acc + Math.imul(x, 0x85ebca6b)) | 0;
  }
  return [performance.now() - started, acc];
}`;

/** Iterations of one calibration round. About 20 ms on the reference machine (idle). */
export const CALIBRATION_ITERATIONS = 2_000_000;

/**
 * Milliseconds the reference machine (speed 1) takes for one round: measured on the project's 2-core
 * development machine (Node 20, worker_threads). A peer twice as fast reports speed 2.
 */
export const REFERENCE_ROUND_MS = 20;

export interface CalibrationOptions {
  /** Rounds to run; the fastest counts. Default 3. */
  readonly rounds?: number;
  /** Iterations per round. Default CALIBRATION_ITERATIONS. */
  readonly iterations?: number;
}

export interface Calibration {
  /** Reference time over measured time, rounded to two decimals, at least 0.01. */
  readonly speed: number;
  /** The fastest round, in ms. */
  readonly bestMs: number;
  readonly rounds: readonly number[];
}

/** Runs the calibration workload `rounds` times on `pool` and scores the fastest round. */
export async function calibrateSpeed(
  pool: WorkerPool,
  options: CalibrationOptions = {},
): Promise<Calibration> {
  const rounds = options.rounds ?? 3;
  const iterations = options.iterations ?? CALIBRATION_ITERATIONS;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const outcome = await pool.run({
      functionId: 'handout:calibration',
      code: { kind: 'source', source: CALIBRATION_SOURCE },
      args: [iterations],
    });
    if (!outcome.ok) throw new Error(`speed calibration failed in a worker: ${outcome.message}`);
    // Timed inside the worker, so queueing and message latency are not counted.
    const [elapsed] = outcome.value as [number, number];
    times.push(Math.max(0.01, elapsed));
  }
  const bestMs = Math.min(...times);
  const scaled = (REFERENCE_ROUND_MS * iterations) / CALIBRATION_ITERATIONS / bestMs;
  return { speed: Math.max(0.01, Math.round(scaled * 100) / 100), bestMs, rounds: times };
}
