/**
 * The local run source: DAGs run in this tab's Web Workers through `runLocal`, the same engine Node uses.
 * One pool is kept for the life of the page so a second run does not pay worker start-up again.
 */
import {
  createWorkerPool,
  type DagJSON,
  type ResultStore,
  type Run,
  runLocal,
  type WorkerPool,
} from '@handout/peer-runtime';
import type { BrowserCapabilities } from '../common/capabilities.js';
import { laneLabel } from '../common/colors.js';
import type { PeerView, RunSource } from './types.js';

export interface LocalRunSourceOptions {
  /** Web Workers to run on. Default: the detected cores. */
  readonly workers?: number;
  readonly capabilities: BrowserCapabilities;
  /**
   * Where results are cached between runs (by content hash). Default: none, so every run computes everything;
   * pass the IndexedDB store to keep results across runs and reloads.
   */
  readonly store?: ResultStore;
}

export function createLocalRunSource(options: LocalRunSourceOptions): RunSource {
  const caps = options.capabilities;
  const workers = options.workers ?? caps.cores;
  let pool: WorkerPool | undefined;
  const getPool = (): WorkerPool => {
    // One function per message: the dashboard shows each function's own start and end, and the showcase draws
    // each tile as it finishes. Batching (the engine's default, for throughput on tiny functions) would report a
    // whole batch as starting and ending together.
    pool ??= createWorkerPool({ size: workers, maxBatchSize: 1 });
    return pool;
  };
  const self: PeerView = {
    id: 'local',
    label: 'this tab',
    platform: 'browser',
    slots: workers,
    memoryGB: caps.memoryGB,
    gpu: caps.webgpu,
    speed: undefined,
    state: 'local',
    ownsLane: (lane) => lane.startsWith('local:'),
  };
  return {
    kind: 'local',
    describe: () => `local · ${workers} Web Worker${workers === 1 ? '' : 's'} in this tab`,
    submit: (dag: DagJSON): Run =>
      runLocal(dag, { pool: getPool(), ...(options.store ? { store: options.store } : {}) }),
    peers: () => [self],
    // Each local lane is one Web Worker running one function at a time.
    slotsOf: (lane) => (lane.startsWith('local:') ? 1 : undefined),
    laneName: (lane) => laneLabel(lane),
    leadIn: () =>
      'before its first function: the Web Worker starting (loading the runtime module), or no function ready for it yet',
    onPeersChanged: () => () => {},
    capacity: () => workers,
    close: async () => {
      await pool?.close();
      pool = undefined;
    },
  };
}
