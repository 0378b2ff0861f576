/**
 * `connect({ signal, token })`: join a mesh as a submitter and run DAGs on it. `mesh.submit(dag)` returns the
 * same `Run` as `runLocal` (events, `result(id)`, `done`, records), with each record naming the peer that ran it.
 *
 * Who coordinates: a member of the mesh with the `coordinate` role when there is one (the DAG goes to it over a
 * data channel); otherwise a coordinator embedded in this process, fed by the signaling membership, which needs
 * the token to grant `coordinate`. The choice is made per submission, so a coordinator that joins later is used
 * by the next run.
 */
export {
  type ConnectOptions,
  type Mesh,
  MeshConnectError,
  type MeshSubmitOptions,
} from './connect-options.js';

import type { ConnectOptions, Mesh } from './connect-options.js';

/**
 * Joins the mesh. The mesh half of the SDK (signaling client, WebRTC, worker pool, disk cache: mesh-connection.ts)
 * is loaded here, on the first call, rather than with the SDK, so a program that only builds DAGs or runs them on
 * this machine never loads it.
 */
export async function connect(options: ConnectOptions): Promise<Mesh> {
  const { openMeshConnection } = await import('./mesh-connection.js');
  return openMeshConnection(options);
}
