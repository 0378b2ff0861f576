/**
 * `connect({ signal, token })`: join a mesh as a submitter and run DAGs on it. `mesh.submit(dag)` returns the
 * same `Run` as `runLocal` (events, `result(id)`, `done`, records), with each record naming the peer that ran it.
 *
 * Who coordinates: a member of the mesh with the `coordinate` role when there is one (the DAG goes to it over a
 * data channel); otherwise a coordinator embedded in this process, fed by the signaling membership, which needs
 * the token to grant `coordinate`. The choice is made per submission, so a coordinator that joins later is used
 * by the next run.
 */
import type { DagInput, DagJSON, FunctionSpec, Run } from '@handout/peer-runtime';
import { dagData, HandoutError } from '@handout/peer-runtime';
import {
  type Coordinator,
  type CoordinatorOptions,
  createMeshPeer,
  type MeshPeer,
  readTokenClaims,
  submitRemote,
} from '@handout/peer-runtime/peer';
import type { PeerInfo, Role } from '@handout/peer-runtime/signaling';

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
  /** STUN/TURN servers. Default [] (host candidates only). */
  readonly iceServers?: RTCIceServer[];
  /** Signaling connect timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

export interface MeshSubmitOptions {
  /** `first-available`, `load-balanced`, `cost-optimized`, `time-optimized`, `locality`, or a custom name. Default: the coordinator's. */
  readonly strategy?: string;
  /** The run's id. Default: a random UUID. */
  readonly runId?: string;
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
  /** Cancels nothing: waits for nothing; leaves the mesh (runs in flight on an embedded coordinator are cancelled). */
  close(): Promise<void>;
}

export class MeshConnectError extends HandoutError {
  override name = 'MeshConnectError';
}

export async function connect(options: ConnectOptions): Promise<Mesh> {
  const tokenText = typeof options.token === 'function' ? options.token() : options.token;
  const granted = readTokenClaims(tokenText).roles;
  const mode = options.coordinator ?? 'auto';
  if (!granted.includes('submit')) {
    throw new MeshConnectError(
      `the token does not grant the 'submit' role (it grants ${granted.join(', ')})`,
    );
  }
  if (mode === 'embedded' && !granted.includes('coordinate')) {
    throw new MeshConnectError("coordinator 'embedded' needs a token granting the 'coordinate' role");
  }
  // Take `coordinate` whenever granted (unless told to use the mesh's): the peers then announce their caches to
  // this process too, so an embedded coordinator finds results of earlier runs.
  const roles: Role[] = ['submit'];
  if (mode !== 'mesh' && granted.includes('coordinate')) roles.push('coordinate');
  if (options.contribute) {
    if (!granted.includes('contribute'))
      throw new MeshConnectError("contribute: true needs a token granting the 'contribute' role");
    roles.push('contribute');
  }
  const peer: MeshPeer = await createMeshPeer({
    signal: options.signal,
    token: options.token,
    roles,
    ...(options.peerId !== undefined && { peerId: options.peerId }),
    // Only an embedded coordinator is created here, and only when it may be needed.
    coordinator: roles.includes('coordinate') ? (options.coordinatorOptions ?? true) : false,
    cacheDir: options.cacheDir ?? false,
    ...(options.iceServers !== undefined && { iceServers: options.iceServers }),
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
  });

  const remoteCoordinator = (): string | undefined => {
    if (mode === 'embedded') return undefined;
    const members = peer.peers().filter((p) => p.roles.includes('coordinate'));
    // Prefer a dedicated coordinator (one that does not also submit, i.e. not another client like us).
    const dedicated = members.filter((p) => !p.roles.includes('submit'));
    return (dedicated[0] ?? members[0])?.peerId;
  };
  const embedded = (): Coordinator | undefined => peer.coordinator;

  return {
    peerId: peer.peerId,
    mesh: peer.mesh,
    submit(dag, submitOptions = {}) {
      const json = dagData(dag);
      const remote = remoteCoordinator();
      if (remote !== undefined) {
        const dagJson: DagJSON = Array.isArray(json)
          ? { format: 'handout-dag', version: 1, functions: json as readonly FunctionSpec[] }
          : (json as DagJSON);
        return submitRemote(peer.transport, remote, dagJson, submitOptions);
      }
      const local = embedded();
      if (local === undefined) {
        throw new MeshConnectError(
          mode === 'mesh'
            ? `no member of mesh '${peer.mesh}' has the 'coordinate' role`
            : `no member of mesh '${peer.mesh}' coordinates, and this token does not grant 'coordinate' to embed one`,
        );
      }
      return local.submit(json, submitOptions);
    },
    peers: () => peer.peers(),
    coordinatorId: () => remoteCoordinator() ?? embedded()?.peerId,
    close: () => peer.close({ graceMs: 0 }),
  };
}
