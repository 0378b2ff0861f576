/**
 * The worker pool in browsers: module Web Workers driven through comlink. See pool-core.ts for batching and
 * supervision. Browsers differ from Node in two ways that matter here:
 * - a Web Worker cannot `process.exit`; it dies from an uncaught error or out of memory, seen as an `error` event;
 * - SharedArrayBuffer exists only on cross-origin-isolated pages, so the progress cell is optional;
 * - a Web Worker's heap cannot be capped (no `resourceLimits`), so `memoryMB` is not enforced: a function that
 *   allocates without bound takes the worker (and possibly the tab) down, seen here as a death.
 */
import * as Comlink from 'comlink';
import { PROGRESS_CELLS, type WireWorkerPolicy, type WorkerApi } from './messages.js';
import { createSpillBuffer, OutputSpill } from './output-spill.js';
import { isOutputChunk, type WireOutputChunk } from './output-stream.js';
import { defaultPoolSize, type WorkerPool, type WorkerPoolOptions, workerPolicy } from './pool.js';
import { createPoolCore, type WorkerHandle } from './pool-core.js';
import { workerEnd } from './worker-end.js';

export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? defaultPoolSize(globalThis.navigator?.hardwareConcurrency);
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`worker pool size must be a positive integer, got ${size}`);
  const policy = workerPolicy(options);
  return createPoolCore({
    size,
    maxBatchSize: options.maxBatchSize ?? 64,
    spawn: (onDeath, onOutput) => spawnWebWorker(policy, onDeath, onOutput),
  });
}

function spawnWebWorker(
  policy: WireWorkerPolicy,
  onDeath: (message: string) => void,
  onOutput: (chunk: WireOutputChunk) => void,
): WorkerHandle {
  // The literal `new Worker(new URL(...), { type: 'module' })` form is what Vite recognises and bundles.
  const worker = new Worker(new URL('./worker.browser.js', import.meta.url), { type: 'module' });
  const progress = globalThis.crossOriginIsolated
    ? new Int32Array(new SharedArrayBuffer(4 * PROGRESS_CELLS))
    : undefined;
  // What its running call printed but did not post yet, for us to read if it dies (output-spill.ts).
  const spill = globalThis.crossOriginIsolated ? createSpillBuffer() : undefined;
  const api = Comlink.wrap<
    WorkerApi & {
      init(progress: Int32Array | undefined, policy: WireWorkerPolicy, spill?: SharedArrayBuffer): void;
    }
  >(worker);
  const end = workerEnd(api, () => worker.terminate());
  // Output chunks share the port with comlink's answers (output-stream.ts); comlink ignores them.
  worker.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isOutputChunk(event.data)) onOutput(event.data);
  });
  const die = (message: string): void => {
    if (!end.claim()) return;
    // Not awaited: a Web Worker's terminate() is synchronous, so kill() settles at once and cannot fail.
    void end.kill();
    onDeath(message);
  };
  // An uncaught error ends the worker's usefulness even if the browser keeps the thread: treat it as a death.
  worker.addEventListener('error', (event) => die(event.message || 'the worker raised an uncaught error'));
  worker.addEventListener('messageerror', () =>
    die('the worker sent a message that could not be deserialised'),
  );
  // Always first (comlink delivers in order, so it reaches the worker before the first batch): the worker locks
  // itself down (or not) before it runs anything; a worker that dies first is reported through its error event.
  void api.init(progress, policy, spill);
  return {
    api,
    progress,
    spill: spill ? new OutputSpill(spill) : undefined,
    async terminate() {
      if (end.claim()) await end.kill();
    },
  };
}
