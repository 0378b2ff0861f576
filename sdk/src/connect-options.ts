/**
 * What `connect()` takes and returns, and its error: apart from connect.ts so that the mesh half
 * (mesh-connection.ts), which connect.ts imports lazily, can use them without importing connect.ts back.
 */
import type { LinkPath, Run } from '@handout/peer-runtime';
import { type DagInput, HandoutError } from '@handout/peer-runtime/dag';
import type { CoordinatorOptions, VerifyOptions } from '@handout/peer-runtime/peer';
import type { PeerInfo } from '@handout/peer-runtime/signaling';

export interface ConnectOptions {
  /** The signaling server URL, e.g. `http://127.0.0.1:8080`, or several (see MeshPeerOptions.signal). */
  readonly signal: string | readonly string[];
  /** A token with the `submit` role (and `coordinate` when the mesh may have no coordinator). */
  readonly token: string | (() => string);
  /** Default: the token's `sub`, or an id the server makes up. */
  readonly peerId?: string;
  /**
   * Which coordinator to use: `auto` (a mesh member with the `coordinate` role, else an embedded one), `mesh`
   * (only a member; submissions fail without one), `embedded` (always this process). Default `auto`.
   */
  readonly coordinator?: 'auto' | 'mesh' | 'embedded';
  /** Options of the embedded coordinator (default strategy, custom strategies, timeouts). */
  readonly coordinatorOptions?: Omit<CoordinatorOptions, 'transport' | 'membership'>;
  /** Also contribute this process's cores to the mesh (needs `contribute`). Default false. */
  readonly contribute?: boolean;
  /** Result cache of a contributing connection (see MeshPeerOptions.cacheDir). Default: in memory. */
  readonly cacheDir?: string | false;
  /**
   * STUN/TURN servers of this client's own; those the signaling server hands out in its welcome (TURN
   * credentials made for this peer) are used as well. Default [] (with a server offering none: direct links only).
   */
  readonly iceServers?: readonly RTCIceServer[];
  /** Signaling connect timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * When a run's coordinator (another member) is lost, how long to look for another coordinate member to take
   * the run over before it fails naming the lost coordinator and the unfinished functions. Default 30 000 ms.
   */
  readonly failoverWindowMs?: number;
  /**
   * What a run does when its coordinator is lost and no other takes it over within `failoverWindowMs`: `fail`
   * (its unfinished functions fail with a PeerError naming the lost coordinator), or `local` (they run on this
   * machine, with the inputs fetched from the peers that hold them: local-fallback.ts). Default `fail`.
   */
  readonly fallback?: 'fail' | 'local';
}

export interface MeshSubmitOptions {
  /** `first-available`, `load-balanced`, `cost-optimized`, `time-optimized`, `locality`, or a custom name. Default: the coordinator's. */
  readonly strategy?: string;
  /** The run's id. Default: a random UUID. */
  readonly runId?: string;
  /**
   * Verify results: each function runs on `replicas` distinct peers and a value is accepted only when a quorum of
   * their result digests agrees; peers that lose quorums are quarantined (docs/security.md). Default: off, which
   * believes every contributor — right for a mesh of your own machines, not for one open to strangers.
   */
  readonly verify?: VerifyOptions;
  /**
   * With a coordinator in another process: how long `result(id)` waits for it to recompute a final result whose
   * holders all left, before failing with a PeerError. Default 120 000 ms; 0 = never ask.
   */
  readonly recoverTimeoutMs?: number;
}

export interface Mesh {
  readonly peerId: string;
  readonly mesh: string;
  /** Runs a DAG on the mesh. Throws DagValidationError (synchronously) for an invalid DAG when coordinated here. */
  submit(dag: DagInput, options?: MeshSubmitOptions): Run;
  /** The other members of the mesh, with roles, capabilities and state. */
  peers(): PeerInfo[];
  /** The coordinator the next submission goes to: a member's id, this peer's id (embedded), or undefined. */
  coordinatorId(): string | undefined;
  /**
   * How this peer's link to `peerId` connected (the selected ICE candidate pair: host, srflx, prflx, relay; udp
   * or tcp) while one is open; undefined otherwise (see docs/deploy.md, "Reading link types").
   */
  linkTo(peerId: string): LinkPath | undefined;
  /** Cancels nothing: waits for nothing; leaves the mesh (runs in flight on an embedded coordinator are cancelled). */
  close(): Promise<void>;
}

export class MeshConnectError extends HandoutError {
  override name = 'MeshConnectError';
}
