/**
 * The calibration workload, off the main thread: a fixed amount of floating-point work, timed. The page turns
 * the time into a speed score (see calibrate.ts). Kept tiny and dependency-free so the worker starts fast.
 */
const WORK = 40_000_000;

function workload(n: number): number {
  // The logistic map: a dependent chain of multiplies the JIT cannot vectorise or fold away.
  let x = 0.5;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x = 3.7 * x * (1 - x);
    sum += x;
  }
  return sum;
}

self.onmessage = () => {
  workload(WORK / 40); // warm-up: let the JIT compile the loop before timing it
  const start = performance.now();
  const sink = workload(WORK);
  const ms = performance.now() - start;
  self.postMessage({ ms, sink });
};
