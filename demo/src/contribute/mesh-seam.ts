/**
 * ═══ THE MESH SEAM ═══
 * Where the contribute page meets the mesh. Everything on the page up to here is real and works without a
 * mesh (capability detection, calibration, the worker pool, the IndexedDB cache). What is missing is the browser
 * peer itself (issue 4: signaling client + WebRTC transport + the peer side of the coordinator protocol).
 *
 * To wire it, implement `joinMesh` with the real browser peer and return it adapted to `ContributorConnection`;
 * the page (main.ts) already calls `attachContributor` with whatever `joinMesh` returns. Nothing here pretends to
 * be connected: until then `joinMesh` rejects with `MeshUnavailableError` and the page says so.
 */
import type { ResultStore, WorkerPool } from '@handout/peer-runtime';
import type { BrowserCapabilities } from '../common/capabilities.js';

export interface JoinParams {
  /** Signaling server URL, e.g. `http://127.0.0.1:8080`. */
  readonly signal: string;
  /** A token with the `contribute` role. */
  readonly token: string;
  readonly capabilities: BrowserCapabilities;
  /** Speed score from calibration (1 = reference machine). */
  readonly speed: number;
  /** Worker slots the person gives (the cores slider). */
  readonly slots: number;
  /** The page's pool (Web Workers through comlink) and cache (IndexedDB): the peer runs and stores through them. */
  readonly pool: WorkerPool;
  readonly store: ResultStore;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ContributorEvents {
  state: { state: ConnectionState; reason?: string };
  /** A function assigned to this peer started or ended here. */
  'task:started': { id: string; runId: string };
  'task:ended': { id: string; runId: string; ok: boolean };
}

/** What the page needs from a browser peer on the mesh. */
export interface ContributorConnection {
  readonly peerId: string;
  readonly state: ConnectionState;
  /** Change the slots offered (the peer announces it with `peer:update`). */
  setSlots(slots: number): void;
  /** Paused: keeps membership and cache, takes no new work; running functions finish. */
  setPaused(paused: boolean): void;
  on<E extends keyof ContributorEvents>(
    event: E,
    listener: (payload: ContributorEvents[E]) => void,
  ): () => void;
  /** Leave the mesh cleanly (hand back unfinished work). Called on `pagehide`. */
  close(): Promise<void>;
}

export class MeshUnavailableError extends Error {
  override name = 'MeshUnavailableError';
}

/** LEAD: replace the body with the real browser peer (connect → adapt to ContributorConnection). */
export async function joinMesh(params: JoinParams): Promise<ContributorConnection> {
  throw new MeshUnavailableError(
    `this build has no browser mesh peer yet, so it cannot join ${params.signal}; ` +
      'the page still runs work locally (below) and keeps its cache',
  );
}

/** The page's side of a connection: what it shows and what its controls change. */
export interface ContributeUi {
  setState(state: ConnectionState, detail: string): void;
  taskStarted(id: string): void;
  taskEnded(id: string, ok: boolean): void;
  /** The controls call these; attachContributor points them at the connection. */
  onSlotsChanged(listener: (slots: number) => void): void;
  onPausedChanged(listener: (paused: boolean) => void): void;
}

/** Connect the page to a live connection; returns the function that detaches it. */
export function attachContributor(connection: ContributorConnection, ui: ContributeUi): () => void {
  const offs = [
    connection.on('state', ({ state, reason }) => ui.setState(state, reason ?? connection.peerId)),
    connection.on('task:started', ({ id }) => ui.taskStarted(id)),
    connection.on('task:ended', ({ id, ok }) => ui.taskEnded(id, ok)),
  ];
  ui.onSlotsChanged((slots) => connection.setSlots(slots));
  ui.onPausedChanged((paused) => connection.setPaused(paused));
  ui.setState(connection.state, connection.peerId);
  return () => {
    for (const off of offs) off();
  };
}
