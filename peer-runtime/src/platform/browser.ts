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

import type { JsonFile, JsonLinesFile } from './types.js';

export type { JsonFile, JsonLinesFile } from './types.js';

/**
 * Browsers keep no state files: cache receipts live as long as the tab (a reloaded tab's cache is announced
 * without them, and after a coordinator restart its results are recomputed), and a coordinator in a tab forgets
 * its trust ledger with the tab (docs/security.md). IndexedDB could hold both; not built yet.
 */
export function openStateFile(
  kind: 'json',
  location: string | undefined,
  peerId: string,
  name: string,
  onError: (error: unknown) => void,
): JsonFile | undefined;
export function openStateFile(
  kind: 'lines',
  location: string | undefined,
  peerId: string,
  name: string,
  onError: (error: unknown) => void,
): JsonLinesFile | undefined;
export function openStateFile(): JsonFile | JsonLinesFile | undefined {
  return undefined;
}
