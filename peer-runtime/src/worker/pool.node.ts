/// <reference path="./comlink-node-adapter.d.ts" />
/**
 * The worker pool on Node: worker_threads driven through comlink's node adapter. See pool-core.ts for batching
 * and supervision; this file only spawns a worker and reports its death.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { withMemoryCaps } from './memory-caps.js';
import type { WireWorkerPolicy, WorkerApi } from './messages.js';
import { isOutputChunk, type WireOutputChunk } from './output-stream.js';
import { defaultPoolSize, type WorkerPool, type WorkerPoolOptions, workerPolicy } from './pool.js';
import { createPoolCore, type WorkerHandle } from './pool-core.js';
import { workerEnd } from './worker-end.js';

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
 * tsx is resolved here, from this module's own location, and handed to the bootstrap as an absolute URL: a bare
 * `import('tsx/…')` in eval'd code resolves against the process's working directory, which fails for a program
 * started from outside the repository ("Cannot find package 'tsx'").
 */
function workerEntry(): WorkerEntry {
  if (!import.meta.url.endsWith('.ts')) {
    return { specifier: new URL('./worker.node.js', import.meta.url), eval: false, execArgv: undefined };
  }
  const entry = new URL('./worker.node.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return { specifier: bootstrap, eval: true, execArgv: ['--conditions=source'] };
}

/**
 * The URL of tsx's ESM API (`tsx/esm/api` under the `import` condition). `require.resolve` would give its
 * CommonJS build, which cannot register the ESM hooks from inside an ES module, so the target is read from tsx's
 * own `exports` map, located with `require.resolve` from this module.
 */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as {
    exports?: Record<string, string | { import?: string | { default?: string } }>;
  };
  const target = manifest.exports?.['./esm/api'];
  const file = typeof target === 'object' ? target.import : undefined;
  const relative = typeof file === 'object' ? file.default : file;
  if (relative === undefined) throw new Error(`tsx at ${manifestPath} has no ESM entry for 'tsx/esm/api'`);
  return new URL(relative, pathToFileURL(manifestPath)).href;
}

function spawnNodeWorker(
  entry: WorkerEntry,
  policy: WireWorkerPolicy,
  resourceLimits: WorkerPoolOptions['resourceLimits'],
  onDeath: (message: string, outOfMemory?: boolean) => void,
  onOutput: (chunk: WireOutputChunk) => void,
): WorkerHandle {
  // The worker writes the index of the call it is running here, so a death can be pinned on the right call.
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(entry.specifier, {
    eval: entry.eval,
    execArgv: entry.execArgv,
    workerData: { progress, policy },
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
    async terminate() {
      if (end.claim()) await end.kill();
    },
  };
}
