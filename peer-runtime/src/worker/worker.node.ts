/** The worker_threads entry: exposes the executor over the parent port through comlink's node adapter. */
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createExecutor } from './execute.js';

if (!parentPort) throw new Error('worker.node.ts must run in a worker thread');
const progress = (workerData as { progress?: Int32Array } | undefined)?.progress;
Comlink.expose(createExecutor(progress), nodeEndpoint(parentPort));
