/** The Web Worker entry: exposes the executor through comlink; `init` hands over the progress cell when the page has one. */
import * as Comlink from 'comlink';
import { createExecutor } from './execute.js';
import type { WireBatch, WireBatchResult } from './messages.js';

let executor = createExecutor();
Comlink.expose({
  init(progress: Int32Array | undefined): void {
    executor = createExecutor(progress);
  },
  ping: (): true => true,
  runBatch: (batch: WireBatch): WireBatchResult | Promise<WireBatchResult> => executor.runBatch(batch),
});
