/**
 * The worker_threads entry: exposes the executor over the parent port through comlink's node adapter. `ses` is
 * loaded before anything runs (it only defines `lockdown`, `harden` and `Compartment`); the worker locks itself
 * down unless its pool trusts code (worker-policy.ts).
 */
import 'ses';
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WireWorkerPolicy } from './messages.js';
import type { WireOutputChunk } from './output-stream.js';
import { createPolicedExecutor } from './worker-policy.js';

if (!parentPort) throw new Error('worker.node.ts must run in a worker thread');
const data = workerData as
  | { progress?: Int32Array; policy?: WireWorkerPolicy; spill?: SharedArrayBuffer }
  | undefined;
const port = parentPort;
// Live output on the comlink port itself (ordered with the answers); flushed too when code calls process.exit.
const stream = {
  post: (chunk: WireOutputChunk) => port.postMessage(chunk),
  onExit: (flush: () => void) => process.on('exit', flush),
  spill: data?.spill,
};
Comlink.expose(createPolicedExecutor(data?.progress, data?.policy, stream), nodeEndpoint(port));
