/**
 * The Node half of the platform pair, selected through package.json `imports["#platform"]` (the `browser`
 * condition picks platform/browser.ts). Everything that differs between Node and browsers is reached through
 * `#platform`, so a browser bundle never pulls worker_threads, node-datachannel or lmdb in.
 */
export { nodeRtc as platformRtc } from '../transport/rtc.node.js';
export { createWorkerPool } from '../worker/pool.node.js';

export const platformName = 'node' as const;
