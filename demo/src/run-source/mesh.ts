/**
 * The mesh run source: the dashboard on a mesh. It adapts the SDK's mesh (issue 4: `connect({ signal, token })`
 * → `mesh.submit(dag, { strategy })`, `mesh.peers()`, `mesh.close()`) to `RunSource`, so the dashboard's views
 * do not change. Written against that stated API; the lead connects it in dashboard/main.ts and
 * showcase/main.ts in place of `createLocalRunSource` when the URL carries `?signal=&token=`.
 */
import type { DagJSON, Run } from '@handout/peer-runtime';
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import type { PeerView, RunSource, SubmitOptions } from './types.js';

/** What the dashboard needs of a mesh connection (the SDK's mesh object has at least this). */
export interface MeshLike {
  submit(dag: DagJSON, options?: { strategy?: string }): Run;
  peers(): readonly PeerInfo[];
  /** Peer membership/state changes, if the mesh emits them; otherwise the source polls `peers()`. */
  on?(event: 'peers', listener: () => void): () => void;
  close(): Promise<void>;
}

export interface MeshRunSourceOptions {
  /** Shown in the header. */
  readonly signal: string;
  /** How often to re-read `peers()` when the mesh has no `on('peers')`. Default 1000 ms. */
  readonly pollMs?: number;
}

export function toPeerView(info: PeerInfo, gone = false): PeerView {
  const caps = info.capabilities;
  return {
    id: info.peerId,
    label: info.peerId.length > 14 ? `${info.peerId.slice(0, 12)}…` : info.peerId,
    platform: caps.platform,
    slots: info.state.slots,
    memoryGB: caps.memoryMB > 0 ? Math.round((caps.memoryMB / 1024) * 10) / 10 : undefined,
    gpu: caps.gpu,
    speed: caps.speed,
    state: gone ? 'gone' : info.state.paused ? 'paused' : 'connected',
    // On a mesh the task stream's lanes are peer ids.
    ownsLane: (lane) => lane === info.peerId,
  };
}

export function createMeshRunSource(mesh: MeshLike, options: MeshRunSourceOptions): RunSource {
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };
  const off = mesh.on ? mesh.on('peers', notify) : undefined;
  const timer = off ? undefined : setInterval(notify, options.pollMs ?? 1000);
  return {
    kind: 'mesh',
    describe: () => `mesh · ${options.signal} · ${mesh.peers().length} peers`,
    submit: (dag: DagJSON, submitOptions?: SubmitOptions) =>
      mesh.submit(dag, submitOptions?.strategy ? { strategy: submitOptions.strategy } : {}),
    peers: () => mesh.peers().map((p) => toPeerView(p)),
    onPeersChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    capacity: () => mesh.peers().reduce((sum, p) => sum + (p.state.paused ? 0 : p.state.slots), 0),
    close: async () => {
      off?.();
      if (timer) clearInterval(timer);
      listeners.clear();
      await mesh.close();
    },
  };
}
