/**
 * Result stores that are safe in every runtime. The persistent stores are imported by their own paths so
 * Node-only code never reaches a browser bundle: `./disk.node.js` (LMDB, Node peers) and `./idb.browser.js`
 * (IndexedDB, browsers).
 */

export { StoreClosedError, StoreInputError } from './errors.js';
export { decodeRecord, encodeRecord, RECORD_HEADER_BYTES, xxh32 } from './integrity.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory.js';
export type { ResultStore, ResultStoreStats } from './types.js';
