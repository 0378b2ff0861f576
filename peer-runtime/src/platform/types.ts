/**
 * What both halves of the platform pair (node.ts, browser.ts) provide beyond the worker pool and RTCPeerConnection:
 * a persistent result store. Declared once here so the two implementations cannot drift apart.
 */
import type { Platform } from '../signaling/contract.js';
import type { ResultStore } from '../store/types.js';

export interface PersistentStoreOptions {
  /** The peer's id: Node keeps one cache directory per peer id. */
  readonly peerId: string;
  /**
   * Where the cache lives. Node: a directory for LMDB (default `defaultCacheDir(peerId)`,
   * `$XDG_CACHE_HOME/handout/peers/<id>`). Browsers: an IndexedDB database name (default `handout-results`, so a
   * reloaded tab finds its cache again even when the server gives it a new peer id).
   */
  readonly location?: string;
  /** Upper bound of the cached values in bytes (LRU eviction past it). */
  readonly maxBytes: number;
  /**
   * Node: whether each put is flushed to the disk before it resolves (LMDB sync; see store/disk.node.ts).
   * Browsers: ignored (IndexedDB decides). Default true.
   */
  readonly durable?: boolean;
}

export interface PersistentStore {
  readonly store: ResultStore;
  /** The directory or database name actually used. */
  readonly location: string;
}

/** What the platform says about the machine (peer/capabilities.ts turns it into what a peer advertises). */
export interface PlatformFacts {
  readonly platform: Platform;
  /** Logical cores available to this process / page. */
  readonly cores: number;
  /** Memory the peer may offer, in MiB. */
  readonly memoryMB: number;
  /** WebGPU available (always false in Node). */
  readonly gpu: boolean;
}

/**
 * One reading of this process's load (peer/load.ts turns two readings into PeerState's `cpu`). `cpuMicros`:
 * CPU time used since the process started, absent where the platform cannot tell (browsers).
 */
export interface ProcessLoadSample {
  readonly cpuMicros?: number;
  /** performance.now() of the reading. */
  readonly at: number;
  /** Cores the CPU time is spread over (a fully busy 4-core process uses 4 s of CPU per second). */
  readonly cores: number;
  /** Resident memory (Node) or the JS heap (Chromium), MiB. */
  readonly memoryMB: number;
}

/** A small JSON state file beside the result cache (platform/json-files.node.ts), replaced whole on save. */
export interface JsonFile {
  /** Where it lives (for logs and docs). */
  readonly path: string;
  /** What was saved, or undefined (none, or damaged: reported, not fatal). */
  load(): Promise<unknown>;
  /** Replaces what was saved; queued, never throws (a failed write is reported). */
  save(value: unknown): void;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** A JSON-lines state file beside the result cache, appended to. */
export interface JsonLinesFile {
  readonly path: string;
  /** Every value saved (damaged lines skipped). */
  load(): Promise<unknown[]>;
  /** Adds one value; queued, never throws. */
  append(value: unknown): void;
  /** Replaces every value saved (compaction); queued, never throws. */
  rewrite(values: readonly unknown[]): void;
  close(): Promise<void>;
}

/** The state file of each kind: `json` replaced whole, `lines` appended to. */
export interface StateFiles {
  json: JsonFile;
  lines: JsonLinesFile;
}

/**
 * `openStateFile` of `#platform`: the state file `name` beside the result cache `location` of peer `peerId`
 * (where that is: the platform's), or undefined where the platform keeps none.
 */
export type OpenStateFile = <K extends keyof StateFiles>(
  kind: K,
  location: string | undefined,
  peerId: string,
  name: string,
  onError: (error: unknown) => void,
) => StateFiles[K] | undefined;
