/**
 * The body of `connect()` (connect.ts): reads the token's roles, joins the mesh as a `MeshPeer`, and picks the
 * coordinator of each submission. Loaded on the first `connect()` call, since it pulls the signaling client,
 * WebRTC and the worker pool in.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { dagData } from '@handout/peer-runtime/dag';
import {
  type Coordinator,
  createMeshPeer,
  type MeshPeer,
  readTokenClaims,
  submitRemote,
} from '@handout/peer-runtime/peer';
import type { Role } from '@handout/peer-runtime/signaling';
import { type ConnectOptions, type Mesh, MeshConnectError } from './connect-options.js';
import { finishLocally } from './local-fallback.js';

/** `connect()` itself (connect.ts loads this module on its first call). */
export async function openMeshConnection(options: ConnectOptions): Promise<Mesh> {
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

  /** Coordinate members, best first: dedicated ones (not also submitting, i.e. not another client like us) first. */
  const remoteCandidates = (): string[] => {
    if (mode === 'embedded') return [];
    const members = peer.peers().filter((p) => p.roles.includes('coordinate'));
    const dedicated = members.filter((p) => !p.roles.includes('submit'));
    return [...dedicated, ...members.filter((p) => p.roles.includes('submit'))].map((p) => p.peerId);
  };
  const remoteCoordinator = (): string | undefined => remoteCandidates()[0];
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
        return submitRemote(peer.transport, remote, dagJson, {
          ...submitOptions,
          // Another coordinate member takes the run over when this one is lost (submit-remote.ts).
          failover: {
            candidates: () => remoteCandidates(),
            onMemberLeft: (listener) => peer.signaling.on('peer:left', ({ peerId }) => listener(peerId)),
            ...(options.failoverWindowMs !== undefined && { windowMs: options.failoverWindowMs }),
          },
          ...(options.fallback === 'local' && {
            fallback: (context) => finishLocally(context, peer.peerId),
          }),
        });
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
    linkTo: (peerId) => peer.transport.connections().find((c) => c.peerId === peerId)?.path,
    close: () => peer.close({ graceMs: 0 }),
  };
}
