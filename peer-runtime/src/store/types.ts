/**
 * Result stores keep encoded function results under the function's content hash (see dag/hash.ts).
 * Implementations: in memory (tests, local runs), on disk for Node peers, IndexedDB for browsers.
 * Values are encoded with protocol/value-codec.ts before they reach a store, so every store holds the
 * same bytes and a result can move between peers without re-encoding.
 */
export interface ResultStoreStats {
  readonly entries: number;
  readonly bytes: number;
  /** The bound, in bytes, past which least-recently-used entries are evicted (Infinity = unbounded). */
  readonly maxBytes: number;
}

export interface ResultStore {
  /** The bytes stored under `hash`, or undefined. Implementations verify integrity on read and treat a corrupt entry as missing (and delete it). */
  get(hash: string): Promise<Uint8Array | undefined>;
  put(hash: string, bytes: Uint8Array): Promise<void>;
  has(hash: string): Promise<boolean>;
  delete(hash: string): Promise<void>;
  /** All hashes held (for announcing holdings to a coordinator). */
  keys(): Promise<string[]>;
  stats(): Promise<ResultStoreStats>;
  close(): Promise<void>;
}
