/// <reference path="./comlink-node-adapter.d.ts" />
/**
 * The worker pool on Node: worker_threads driven through comlink's node adapter. See pool-core.ts for batching
 * and supervision; this file only spawns a worker and reports its death.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerApi } from './messages.js';
import { defaultPoolSize, type WorkerPool, type WorkerPoolOptions } from './pool.js';
import { createPoolCore, type WorkerHandle } from './pool-core.js';

export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? defaultPoolSize(availableParallelism());
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`worker pool size must be a positive integer, got ${size}`);
  const entry = workerEntry();
  return createPoolCore({
    size,
    maxBatchSize: options.maxBatchSize ?? 64,
    spawn: (onDeath) => spawnNodeWorker(entry, options.resourceLimits, onDeath),
  });
}

interface WorkerEntry {
  readonly specifier: URL | string;
  readonly eval: boolean;
  readonly execArgv: string[] | undefined;
}

/**
 * Which file a worker runs. Built (`dist/…/pool.node.js`): the sibling `worker.node.js`, plain Node.
 * From source (this module's URL ends with `.ts`, under vitest or `node --import tsx`): the `.ts` worker needs the
 * tsx loader, and on Node 20 `execArgv: ['--import', 'tsx']` does not register tsx's hooks inside a worker
 * thread, so a tiny eval'd bootstrap registers them through tsx's API and then imports the `.ts` entry.
 */
function workerEntry(): WorkerEntry {
  if (!import.meta.url.endsWith('.ts')) {
    return { specifier: new URL('./worker.node.js', import.meta.url), eval: false, execArgv: undefined };
  }
  const entry = new URL('./worker.node.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return { specifier: bootstrap, eval: true, execArgv: ['--conditions=source'] };
}

function spawnNodeWorker(
  entry: WorkerEntry,
  resourceLimits: WorkerPoolOptions['resourceLimits'],
  onDeath: (message: string) => void,
): WorkerHandle {
  // The worker writes the index of the call it is running here, so a death can be pinned on the right call.
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(entry.specifier, {
    eval: entry.eval,
    execArgv: entry.execArgv,
    workerData: { progress },
    resourceLimits: resourceLimits ? { ...resourceLimits } : undefined,
    stdout: false,
    stderr: false,
  });
  const api = Comlink.wrap<WorkerApi>(nodeEndpoint(worker));
  let terminated = false;
  let lastError: Error | undefined;
  worker.on('error', (error) => {
    lastError = error;
  });
  worker.on('exit', (code) => {
    if (terminated) return;
    terminated = true;
    onDeath(lastError ? `${lastError.name}: ${lastError.message}` : `the worker exited with code ${code}`);
  });
  return {
    api,
    progress,
    async terminate() {
      if (terminated) return;
      terminated = true;
      // Unregister the proxy from comlink's finalizer; its release message is never answered by a dead worker.
      void api[Comlink.releaseProxy]();
      await worker.terminate();
    },
  };
}
