/**
 * The two local resources a contributing peer opens before it joins: its worker pool (given or made, with its
 * calibrated speed) and its result cache (given, in memory, or the platform's persistent store). Each says whether
 * it was opened here, so the peer closes only what it owns.
 */
import { createWorkerPool, openPersistentStore } from '#platform';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore } from '../store/types.js';
import type { WorkerPool } from '../worker/pool.js';
import { calibrateSpeed } from './calibration.js';
import type { MeshPeerOptions } from './mesh-peer-types.js';

const DEFAULT_CACHE_BYTES = 1024 * 1024 * 1024;

export interface OpenedPool {
  readonly pool: WorkerPool;
  /** The measured speed score, or undefined when `options.speed` was given. */
  readonly speed: number | undefined;
  close(): Promise<void>;
}

/** The contributing peer's pool (given or made) and its calibrated speed. */
export async function openPool(options: MeshPeerOptions, cores: number): Promise<OpenedPool> {
  const owns = options.pool === undefined;
  const pool =
    options.pool ??
    createWorkerPool({
      size: options.concurrency ?? cores,
      trustCode: options.trustCode === true,
      allowModules: options.allowModules ?? [],
    });
  const close = async (): Promise<void> => {
    if (owns) await pool.close();
  };
  // Every worker started (and locked down) before the peer joins: see WorkerPool.ready.
  await pool.ready();
  if (options.speed !== undefined) return { pool, speed: undefined, close };
  try {
    return { pool, speed: (await calibrateSpeed(pool)).speed, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface OpenedCache {
  readonly store: ResultStore | undefined;
  /** The store was opened here (and is closed with the peer). */
  readonly owned: boolean;
  /** A directory or IndexedDB name; undefined in memory or for the caller's store. */
  readonly location: string | undefined;
}

/** The contributing peer's result cache: the caller's store, an in-memory one, or the platform's persistent one. */
export async function openCache(options: MeshPeerOptions, peerId: string): Promise<OpenedCache> {
  if (options.store) return { store: options.store, owned: false, location: undefined };
  const maxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES;
  if (options.cacheDir === false)
    return { store: createMemoryStore({ maxBytes }), owned: true, location: undefined };
  const opened = await openPersistentStore({
    peerId,
    // No fsync per result: results are recomputable from their DAG's lineage, so a cache that loses its last
    // puts in a power cut only costs recomputation, while a synced put costs ~3–6 ms per function. A committed
    // put still survives the process dying (it is in the OS page cache).
    durable: false,
    ...(options.cacheDir !== undefined && { location: options.cacheDir }),
    maxBytes,
  });
  return { store: opened.store, owned: true, location: opened.location };
}
