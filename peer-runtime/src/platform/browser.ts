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

import { DEFAULT_BROWSER_CACHE } from './persistent-store.browser.js';
import { openIdbJsonFile, openIdbJsonLines } from './state-files.browser.js';
import type { OpenStateFile, StateFiles } from './types.js';

export type { JsonFile, JsonLinesFile, OpenStateFile } from './types.js';

/**
 * A state file `name` beside the IndexedDB result cache `location` (default `handout-results`; the peer id is not
 * part of it, as a reloaded tab gets a new one): its own database `<location>:<name>` (state-files.browser.ts),
 * so that a reloaded tab keeps its cache receipts and a coordinator tab its trust ledger.
 */
export const openStateFile: OpenStateFile = (kind, location, _peerId, name, onError) => {
  const where = location ?? DEFAULT_BROWSER_CACHE;
  const files: { [K in keyof StateFiles]: () => StateFiles[K] } = {
    json: () => openIdbJsonFile(where, name, onError),
    lines: () => openIdbJsonLines(where, name, onError),
  };
  return files[kind]();
};
