/**
 * The Node half of the platform pair, selected through package.json `imports["#platform"]` (the `browser`
 * condition picks platform/browser.ts). Everything that differs between Node and browsers is reached through
 * `#platform`, so a browser bundle never pulls worker_threads, node-datachannel, lmdb or node:os in:
 * - `createWorkerPool`: worker_threads;
 * - `platformRtc`: RTCPeerConnection from node-datachannel;
 * - `detectPlatform`: cores and memory from node:os;
 * - `openPersistentStore`: the LMDB disk store in a per-peer directory.
 */

export { nodeRtc as platformRtc } from '../transport/rtc.node.js';
export { createWorkerPool } from '../worker/pool.node.js';
export { detectPlatform } from './capabilities.node.js';

import type { PersistentStore, PersistentStoreOptions } from './types.js';

export type { PersistentStore, PersistentStoreOptions, ProcessLoadSample } from './types.js';

/**
 * LMDB is a native addon that takes tens of milliseconds to load, and this module is loaded by every `runLocal`
 * (for the worker pool) and so by the CLI's `validate`: the disk store is loaded only when a peer opens its cache.
 */
export async function openPersistentStore(options: PersistentStoreOptions): Promise<PersistentStore> {
  const { openPersistentStore: open } = await import('./persistent-store.node.js');
  return open(options);
}

export { sampleProcessLoad } from './process-load.node.js';
export const platformName = 'node' as const;

import { defaultCacheDir } from './cache-dir.node.js';
import { openJsonFile, openJsonLines } from './json-files.node.js';
import type { OpenStateFile, StateFiles } from './types.js';

export type { JsonFile, JsonLinesFile, OpenStateFile } from './types.js';

/**
 * A state file `name` in the peer's cache directory (`location`, else `defaultCacheDir(peerId)`): JSON replaced
 * whole (`json`) or JSON lines appended to (`lines`).
 */
export const openStateFile: OpenStateFile = (kind, location, peerId, name, onError) => {
  const dir = location ?? defaultCacheDir(peerId);
  const files: { [K in keyof StateFiles]: () => StateFiles[K] } = {
    json: () => openJsonFile(dir, name, onError),
    lines: () => openJsonLines(dir, name, onError),
  };
  return files[kind]();
};
