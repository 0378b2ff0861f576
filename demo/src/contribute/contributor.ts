/**
 * The browser as a mesh peer: `createMeshPeer` (the same assembly a Node peer uses: signaling, WebRTC data
 * channels, the peer agent, an optional coordinator) running on the page's worker pool and IndexedDB cache, with
 * the role `contribute`. This module adapts it to what the page shows and what its controls change.
 */
import type { ResultStore } from '@handout/peer-runtime';
import { createMeshPeer, type MeshPeer } from '@handout/peer-runtime/peer';
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import type { SlotPool } from './slot-pool.js';

export interface JoinParams {
  /** Signaling server URL, e.g. `http://127.0.0.1:8080`. */
  readonly signal: string;
  /** A token with the `contribute` role. */
  readonly token: string;
  /** Speed score from calibration (1 = reference machine), advertised as is. */
  readonly speed: number;
  /** The page's pool (its `size` is the slots given) and cache; the caller closes both. */
  readonly pool: SlotPool;
  readonly store: ResultStore;
  /** The IndexedDB name of `store`: the cache's receipts are kept beside it, so they outlive a reload. */
  readonly cacheName?: string;
  /** Memory offered, MiB. Default: what the browser reports. */
  readonly memoryMB?: number;
  /** STUN/TURN servers of the page's own (`?ice=`), added to those of the signaling server's welcome. Default []. */
  readonly iceServers?: readonly RTCIceServer[];
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ContributorEvents {
  state: { state: ConnectionState; reason?: string };
  /** The membership changed (a peer joined, left or changed its state). */
  peers: undefined;
}

/** What the page needs from a browser peer on the mesh. */
export interface ContributorConnection {
  readonly peerId: string;
  readonly mesh: string;
  readonly state: ConnectionState;
  readonly peer: MeshPeer;
  /** The other members of the mesh. */
  peers(): PeerInfo[];
  /**
   * Change the slots offered. The pool's gate moves at once; coordinators learn the new count from the peer's
   * status, which a pause/resume sends (work not started yet is handed back and placed again under the new count).
   */
  setSlots(slots: number): Promise<void>;
  /** Paused: keeps membership and cache, takes no new work (unstarted work is handed back); running work finishes. */
  setPaused(paused: boolean): Promise<void>;
  on<E extends keyof ContributorEvents>(
    event: E,
    listener: (payload: ContributorEvents[E]) => void,
  ): () => void;
  /** Leave the mesh cleanly: hand back unfinished work, close the channels and the signaling connection. */
  close(graceMs?: number): Promise<void>;
}

export async function joinMesh(params: JoinParams): Promise<ContributorConnection> {
  const peer = await createMeshPeer({
    signal: params.signal,
    token: params.token,
    roles: ['contribute'],
    pool: params.pool,
    store: params.store,
    ...(params.cacheName !== undefined && { cacheDir: params.cacheName }),
    speed: params.speed,
    ...(params.memoryMB !== undefined && { memoryMB: params.memoryMB }),
    ...(params.iceServers !== undefined && { iceServers: params.iceServers }),
    // Paints of a tab in the background are throttled, not its workers; state every second is plenty.
    stateIntervalMs: 1000,
  });
  type Listener<E extends keyof ContributorEvents> = (payload: ContributorEvents[E]) => void;
  const listeners: { [E in keyof ContributorEvents]: Set<Listener<E>> } = {
    state: new Set(),
    peers: new Set(),
  };
  const emit = <E extends keyof ContributorEvents>(event: E, payload: ContributorEvents[E]): void => {
    for (const l of listeners[event]) (l as Listener<E>)(payload);
  };
  let state: ConnectionState = 'connected';
  let paused = false;
  const setState = (next: ConnectionState, reason?: string): void => {
    state = next;
    emit('state', { state: next, ...(reason !== undefined && { reason }) });
  };
  const peersChanged = (): void => emit('peers', undefined);
  const offs = [
    peer.signaling.on('disconnect', (reason) => setState('reconnecting', reason)),
    peer.signaling.on('reconnect', () => setState('connected')),
    peer.signaling.on('close', (error) => setState('closed', error?.message)),
    peer.signaling.on('peer:joined', peersChanged),
    peer.signaling.on('peer:left', peersChanged),
    peer.signaling.on('peer:updated', peersChanged),
  ];

  return {
    peerId: peer.peerId,
    mesh: peer.mesh,
    peer,
    get state() {
      return state;
    },
    peers: () => peer.peers(),
    async setSlots(slots) {
      params.pool.setSlots(slots);
      if (paused || state === 'closed') return;
      await peer.pause();
      await peer.resume();
    },
    async setPaused(next) {
      paused = next;
      if (next) await peer.pause();
      else await peer.resume();
    },
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    async close(graceMs = 0) {
      for (const off of offs) off();
      await peer.close({ graceMs });
      setState('closed', 'left the mesh');
    },
  };
}
