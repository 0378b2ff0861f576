/**
 * The mesh run source: the dashboard on a mesh. It adapts the SDK's mesh (`connect({ signal, token })` →
 * `mesh.submit(dag, { strategy })`, `mesh.peers()`, `mesh.close()`) to `RunSource`, so the dashboard's views do
 * not change: the task stream's lanes are peer ids, taken from the run's events.
 *
 * Peers that leave stay in the list as `gone` (for `goneTtlMs`), so a run that lost a peer still shows who ran
 * its first functions.
 */
import { type DagJSON, describeLinkPath, type LinkPath, type Run } from '@handout/peer-runtime';
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import { peerReadings } from '../run-model/runtime-extras.js';
import { looksGenerated, PeerNames } from './peer-names.js';
import type { PeerView, RunSource, SubmitOptions } from './types.js';

/** What the dashboard needs of a mesh connection (the SDK's mesh object has at least this). */
export interface MeshLike {
  submit(dag: DagJSON, options?: { strategy?: string }): Run;
  peers(): readonly PeerInfo[];
  /** Peer membership/state changes, if the mesh emits them; otherwise the source polls `peers()`. */
  on?(event: 'peers', listener: () => void): () => void;
  close(): Promise<void>;
  /** The coordinator the next submission goes to (the SDK's `Mesh.coordinatorId`). */
  coordinatorId?(): string | undefined;
  /** How this tab's link to a peer connected, while one is open (the SDK's `Mesh.linkTo`). */
  linkTo?(peerId: string): LinkPath | undefined;
}

export interface MeshRunSourceOptions {
  /** Shown in the header. */
  readonly signal: string;
  /** This tab's own peer id (shown in the header). */
  readonly selfId?: string;
  /** How often to re-read `peers()` when the mesh has no `on('peers')`. Default 1000 ms. */
  readonly pollMs?: number;
  /** How long a departed peer stays listed as `gone`. Default 120 000 ms. */
  readonly goneTtlMs?: number;
}

export function toPeerView(info: PeerInfo, label: string, gone = false, link?: LinkPath): PeerView {
  const caps = info.capabilities;
  const readings = peerReadings(info);
  return {
    id: info.peerId,
    label,
    ...((readings.cpu !== undefined || readings.memoryMB !== undefined) && { readings }),
    platform: caps.platform,
    slots: info.state.slots,
    memoryGB: caps.memoryMB > 0 ? Math.round((caps.memoryMB / 1024) * 10) / 10 : undefined,
    gpu: caps.gpu,
    speed: caps.speed,
    roles: info.roles,
    ...(link && { link: describeLinkPath(link) }),
    state: gone ? 'gone' : info.state.paused ? 'paused' : 'connected',
    // On a mesh the task stream's lanes are peer ids.
    ownsLane: (lane) => lane === info.peerId,
  };
}

export function createMeshRunSource(mesh: MeshLike, options: MeshRunSourceOptions): RunSource {
  const listeners = new Set<() => void>();
  const goneTtlMs = options.goneTtlMs ?? 120_000;
  const names = new PeerNames();
  /** Every peer seen, with when it was last listed (to keep departed ones for a while). */
  const seen = new Map<string, { info: PeerInfo; lastSeen: number; gone: boolean }>();
  let signature = '';
  const refresh = (): boolean => {
    const now = Date.now();
    const current = new Set<string>();
    for (const info of mesh.peers()) {
      current.add(info.peerId);
      names.nameOf(info);
      seen.set(info.peerId, { info, lastSeen: now, gone: false });
    }
    for (const [id, entry] of seen) {
      if (current.has(id)) continue;
      entry.gone = true;
      if (now - entry.lastSeen > goneTtlMs) seen.delete(id);
    }
    const next = JSON.stringify([...seen.values()].map((e) => [e.info.peerId, e.gone, e.info.state]));
    const changed = next !== signature;
    signature = next;
    return changed;
  };
  const notify = (): void => {
    if (!refresh()) return;
    for (const l of listeners) l();
  };
  const off = mesh.on ? mesh.on('peers', notify) : undefined;
  const timer = setInterval(notify, options.pollMs ?? (off ? 5000 : 1000));
  refresh();
  const live = () => [...seen.values()].filter((e) => !e.gone);
  return {
    kind: 'mesh',
    ...(options.selfId !== undefined && { selfId: options.selfId }),
    coordinatorId: () => mesh.coordinatorId?.(),
    describe: () =>
      `mesh · ${options.signal} · ${live().length} peer${live().length === 1 ? '' : 's'}` +
      (options.selfId ? ` · you are ${looksGenerated(options.selfId) ? 'this tab' : options.selfId}` : ''),
    submit: (dag: DagJSON, submitOptions?: SubmitOptions) =>
      mesh.submit(dag, submitOptions?.strategy ? { strategy: submitOptions.strategy } : {}),
    peers: () => {
      refresh();
      // Workers first (they are what the task stream shows), the gone ones last.
      return [...seen.values()]
        .sort((a, b) => Number(a.gone) - Number(b.gone) || b.info.state.slots - a.info.state.slots)
        .map((e) => toPeerView(e.info, names.nameOf(e.info), e.gone, mesh.linkTo?.(e.info.peerId)));
    },
    slotsOf: (lane) => seen.get(lane)?.info.state.slots,
    laneName: (lane) => (lane === options.selfId ? 'this tab' : names.laneName(lane)),
    leadIn: () =>
      'before its first function: the coordinator opening a data channel to the peer and the peer fetching the inputs, or no function ready for it yet',
    onPeersChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    capacity: () => live().reduce((sum, e) => sum + (e.info.state.paused ? 0 : e.info.state.slots), 0),
    close: async () => {
      off?.();
      clearInterval(timer);
      listeners.clear();
      await mesh.close();
    },
  };
}
