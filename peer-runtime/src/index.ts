/**
 * @handout/peer-runtime: the ground floor. Platform-neutral: everything here works in Node and in browsers;
 * what differs (worker pool, RTCPeerConnection) comes through `#platform`. Node-only parts have their own
 * subpaths: `@handout/peer-runtime/peer` (a mesh member: createMeshPeer) and
 * `@handout/peer-runtime/store/disk`; the browser's IndexedDB store is `@handout/peer-runtime/store/idb`.
 *
 * @module @handout/peer-runtime
 */

export { createWorkerPool, platformName, platformRtc } from '#platform';
// The mesh roles (transport-independent): coordinator, peer agent, submitter, and what they share.
export * from './agent/index.js';
export * from './coordinator/index.js';
// The DAG as data (types, validation, hashing) and the typed errors.
export * from './dag/index.js';
export { type RunLocalOptions, runLocal } from './engine/run-local.js';
// A link between two peers as measured (round trip, bandwidth, when): what the network model is fed.
export type { MeasuredLink } from './measured-link.js';
export * from './mesh/index.js';
export type { WireMessage, WireMessageType, WireRunEvent } from './protocol/messages.js';
export { PROTOCOL_VERSION } from './protocol/messages.js';
export { decodeValue, encodeValue } from './protocol/value-codec.js';
// Local engine and the run object shared with the mesh.
export {
  type AttemptOutput,
  type FunctionOutput,
  OUTPUT_LIMIT_CHARS,
  type OutputLevel,
  type OutputLine,
} from './run/output.js';
export { RunController, type RunControllerOptions } from './run/run-controller.js';
export type {
  AttemptRecord,
  FunctionRecord,
  FunctionStatus,
  FunctionVerification,
  Run,
  RunEventName,
  RunEvents,
  RunStatus,
  RunSummary,
  VerificationOutcome,
} from './run/types.js';
// Scheduling: resource tracker, allocators, HEFT, simulator.
export * from './scheduling/index.js';
// Signaling contract and client (also at the `./signaling` subpath for the server).
export * from './signaling/index.js';
export * from './store/index.js';
export * from './submit/index.js';
export { type LinkFailure, LinkSetupError, linkSetupErrorIn } from './transport/frame-link.js';
export {
  type IceServerEntry,
  IceServerSyntaxError,
  parseIceServer,
  parseIceServers,
} from './transport/ice-servers.js';
export {
  type CandidateType,
  describeLinkPath,
  type LinkPath,
  linkPathFromStats,
} from './transport/link-path.js';
export { createMemoryTransport, MemoryNetwork, type MemoryNetworkOptions } from './transport/memory.js';
export type {
  ConnectionInfo,
  DisconnectReason,
  Transport,
  TransportEvents,
  TransportOptions,
} from './transport/types.js';
export { createWebRtcTransport, type WebRtcTransportOptions } from './transport/webrtc.js';
export { Cancellation, type CancelSignal } from './worker/cancellation.js';
export {
  defaultPoolSize,
  type PoolTask,
  type RunTaskOptions,
  type TaskOutcome,
  type WorkerPool,
  type WorkerPoolEvents,
  type WorkerPoolOptions,
} from './worker/pool.js';
