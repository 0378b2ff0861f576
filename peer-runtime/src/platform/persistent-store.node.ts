/** The Node persistent result store: LMDB on disk (store/disk.node.ts), one directory per peer by default. */

import { createDiskStore } from '../store/disk.node.js';
import { defaultCacheDir } from './cache-dir.node.js';
import type { PersistentStore, PersistentStoreOptions } from './types.js';

export async function openPersistentStore(options: PersistentStoreOptions): Promise<PersistentStore> {
  const location = options.location ?? defaultCacheDir(options.peerId);
  return {
    store: await createDiskStore({
      dir: location,
      maxBytes: options.maxBytes,
      ...(options.durable !== undefined && { durable: options.durable }),
    }),
    location,
  };
}
