/**
 * The browser half of the platform pair (see platform/node.ts): Web Workers, the page's RTCPeerConnection,
 * navigator facts (cores, deviceMemory, WebGPU) and the IndexedDB result store.
 */
// First: simple-peer's streams need process.nextTick (see the shim).
import './process-shim.browser.js';

export { browserRtc as platformRtc } from '../transport/rtc.browser.js';
export { createWorkerPool } from '../worker/pool.browser.js';
export { detectPlatform } from './capabilities.browser.js';
export { openPersistentStore } from './persistent-store.browser.js';
export { sampleProcessLoad } from './process-load.browser.js';
export type { PersistentStore, PersistentStoreOptions, ProcessLoadSample } from './types.js';
export const platformName = 'browser' as const;
