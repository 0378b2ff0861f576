/**
 * The Web Worker entry: exposes the executor through comlink. The pool's first message is `init`, which hands
 * over the progress cell (when the page has one) and the policy; the worker locks itself down then, unless its
 * pool trusts code (worker-policy.ts). Comlink delivers messages in order, so `init` runs before any batch.
 */
import 'ses';
import * as Comlink from 'comlink';
import type { WireBatch, WireBatchResult, WireWorkerPolicy, WorkerApi } from './messages.js';
import type { WireOutputChunk } from './output-stream.js';
import { createPolicedExecutor } from './worker-policy.js';

let executor: WorkerApi | undefined;
// Live output on the port comlink answers on (ordered with the answers: output-stream.ts).
const stream = { post: (chunk: WireOutputChunk) => globalThis.postMessage(chunk) };
Comlink.expose({
  init(progress: Int32Array | undefined, policy: WireWorkerPolicy, spill?: SharedArrayBuffer): void {
    executor ??= createPolicedExecutor(progress, policy, { ...stream, spill });
  },
  ping: (): true => true,
  runBatch(batch: WireBatch): WireBatchResult | Promise<WireBatchResult> {
    // A pool that never sent `init` gets the default policy: the sandbox, no modules.
    executor ??= createPolicedExecutor(undefined, undefined, stream);
    return executor.runBatch(batch);
  },
});
