/**
 * The browser persistent result store: IndexedDB (store/idb.browser.ts). The default database name does not
 * depend on the peer id: a tab gets a fresh id from the server on every load, and a reload must find its cache.
 * One tab per database name at a time (see idb.browser.ts); a page contributing from several tabs names them.
 */
import { createIndexedDbStore } from '../store/idb.browser.js';
import type { PersistentStore, PersistentStoreOptions } from './types.js';

export const DEFAULT_BROWSER_CACHE = 'handout-results';

export async function openPersistentStore(options: PersistentStoreOptions): Promise<PersistentStore> {
  const location = options.location ?? DEFAULT_BROWSER_CACHE;
  return { store: await createIndexedDbStore({ name: location, maxBytes: options.maxBytes }), location };
}
