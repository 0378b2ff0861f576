/**
 * A short speed calibration: the page advertises `speed` (1 = the reference machine, higher is faster), which
 * the time-optimized allocator uses. The workload runs in a Web Worker so the page stays responsive.
 */

/** Milliseconds the workload took on the reference machine (Node 20 on one core of the project's 2-core machine: 125–155 ms). */
export const REFERENCE_MS = 130;

export interface Calibration {
  readonly ms: number;
  readonly speed: number;
}

export function calibrate(timeoutMs = 10_000): Promise<Calibration> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./calibrate.worker.ts', import.meta.url), { type: 'module' });
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`calibration did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    worker.onmessage = (event: MessageEvent<{ ms: number }>) => {
      clearTimeout(timer);
      worker.terminate();
      const ms = Math.max(1, event.data.ms);
      resolve({ ms, speed: Math.round((REFERENCE_MS / ms) * 100) / 100 });
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`calibration worker failed: ${event.message}`));
    };
    worker.postMessage('start');
  });
}
