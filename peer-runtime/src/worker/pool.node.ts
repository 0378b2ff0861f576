/// <reference path="./comlink-node-adapter.d.ts" />
/**
 * The worker pool on Node: worker_threads driven through comlink's node adapter. See pool-core.ts for batching
 * and supervision; this file only spawns a worker and reports its death.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { withMemoryCaps } from './memory-caps.js';
import { PROGRESS_CELLS, type WireWorkerPolicy, type WorkerApi } from './messages.js';
import { createSpillBuffer, OutputSpill } from './output-spill.js';
import { isOutputChunk, type WireOutputChunk } from './output-stream.js';
import { defaultPoolSize, type WorkerPool, type WorkerPoolOptions, workerPolicy } from './pool.js';
import { createPoolCore, type WorkerHandle } from './pool-core.js';
import { workerEnd } from './worker-end.js';
import { type WorkerEntry, workerEntry } from './worker-entry.node.js';

export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? defaultPoolSize(availableParallelism());
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`worker pool size must be a positive integer, got ${size}`);
  const entry = workerEntry();
  const policy = workerPolicy(options);
  const maxBatchSize = options.maxBatchSize ?? 64;
  const pool = (limits: WorkerPoolOptions['resourceLimits'], poolSize: number): WorkerPool =>
    createPoolCore({
      size: poolSize,
      maxBatchSize,
      spawn: (onDeath, onOutput) => spawnNodeWorker(entry, policy, limits, onDeath, onOutput),
    });
  return withMemoryCaps(pool(options.resourceLimits, size), size, (capMB) =>
    pool({ ...options.resourceLimits, maxOldGenerationSizeMb: capMB }, size),
  );
}

function spawnNodeWorker(
  entry: WorkerEntry,
  policy: WireWorkerPolicy,
  resourceLimits: WorkerPoolOptions['resourceLimits'],
  onDeath: (message: string, outOfMemory?: boolean) => void,
  onOutput: (chunk: WireOutputChunk) => void,
): WorkerHandle {
  // The worker writes the index of the call it is running here, so a death can be pinned on the right call.
  const progress = new Int32Array(new SharedArrayBuffer(4 * PROGRESS_CELLS));
  // And what its running call printed but did not post yet, for us to read if it dies (output-spill.ts).
  const spill = createSpillBuffer();
  const worker = new Worker(entry.specifier, {
    eval: entry.eval,
    execArgv: entry.execArgv,
    workerData: { progress, policy, spill },
    // An empty environment: worker_threads share `process.env` by default, and a peer's environment holds its
    // token (HANDOUT_TOKEN) and whatever else its operator keeps there. Even code that the worker trusts gets none.
    env: {},
    resourceLimits: resourceLimits ? { ...resourceLimits } : undefined,
    stdout: false,
    stderr: false,
  });
  const api = Comlink.wrap<WorkerApi>(nodeEndpoint(worker));
  const end = workerEnd(api, () => worker.terminate());
  // Output chunks share the port with comlink's answers (output-stream.ts); comlink ignores them.
  worker.on('message', (message: unknown) => {
    if (isOutputChunk(message)) onOutput(message);
  });
  let lastError: Error | undefined;
  worker.on('error', (error) => {
    lastError = error;
  });
  worker.on('exit', (code) => {
    if (!end.claim()) return;
    const outOfMemory = (lastError as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    onDeath(
      lastError ? `${lastError.name}: ${lastError.message}` : `the worker exited with code ${code}`,
      outOfMemory,
    );
  });
  return {
    api,
    progress,
    spill: new OutputSpill(spill),
    async terminate() {
      if (end.claim()) await end.kill();
    },
  };
}
