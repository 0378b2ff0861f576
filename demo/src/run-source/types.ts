/**
 * Where the dashboard's runs execute. The dashboard draws a `Run` and a list of peers and does not care whether
 * they come from this tab's Web Workers (`local.ts`) or from a mesh (`mesh.ts`): the mesh only swaps the source.
 */
import type { DagJSON, Run } from '@handout/peer-runtime';
import type { PeerReadings } from '../run-model/runtime-extras.js';

export type PeerState = 'local' | 'connecting' | 'connected' | 'paused' | 'gone';

/** One row of the peers table. */
export interface PeerView {
  readonly id: string;
  /**
   * What a person reads: the label the peer was given, its id when the id is a name (a token's subject such as
   * `node-1`), or "browser peer 2" for a random id. The id itself is shown on hover.
   */
  readonly label: string;
  readonly platform: 'browser' | 'node';
  /** Worker slots this peer gives. */
  readonly slots: number;
  readonly memoryGB: number | undefined;
  readonly gpu: boolean;
  /** Speed score from the peer's calibration run (1 = the reference machine), when known. */
  readonly speed: number | undefined;
  readonly state: PeerState;
  /** Mesh roles besides contributing (`coordinate`, `submit`), shown under the label. */
  readonly roles?: readonly string[];
  /**
   * On a mesh, how this tab's link to the peer connected (`host/udp`, `prflx/udp`, `relay/udp`, ...) while one
   * is open: `relay` means through the TURN server (docs/deploy.md).
   */
  readonly link?: string;
  /** CPU and memory, when the peer reports them (see run-model/runtime-extras.ts). */
  readonly readings?: PeerReadings;
  /** Whether a task-stream lane (`local:3`, a peer id) belongs to this peer, to sum its load. */
  ownsLane(lane: string): boolean;
}

export interface SubmitOptions {
  /** Allocation strategy on a mesh (ignored locally). */
  readonly strategy?: string;
}

export interface RunSource {
  readonly kind: 'local' | 'mesh';
  /** One line for the header: "local · 4 Web Workers", "mesh · ws://… · 3 peers". */
  describe(): string;
  submit(dag: DagJSON, options?: SubmitOptions): Run;
  peers(): readonly PeerView[];
  /** Called whenever the peer list or a peer's state changes; returns the unsubscribe function. */
  onPeersChanged(listener: () => void): () => void;
  /**
   * Worker slots of the peer behind a task-stream lane (1 for a local worker). On a mesh `task:started` is a
   * dispatch rather than a start (coordinators pipeline); the run model then places each bar when a slot was
   * free and never counts more running than the slots.
   */
  slotsOf(lane: string): number | undefined;
  /** The name of a task-stream lane for people: `worker 3`, a peer's label. */
  laneName(lane: string): string;
  /** Why a lane is blank before its first function (the task stream's hatched lead-in). */
  leadIn(lane: string): string;
  /** On a mesh: this tab's peer id, and the coordinator its runs go to (the peer-links view names their links). */
  readonly selfId?: string;
  coordinatorId?(): string | undefined;
  /** Total worker slots, for the capacity line of the resource chart; undefined when unknown. */
  capacity(): number | undefined;
  close(): Promise<void>;
}
