/**
 * `@handout/peer-runtime/mesh-node`: a mesh member (createMeshPeer) and what `connect()` in the SDK builds on.
 * Despite the name (kept for compatibility), it is platform-neutral: a Node process and a browser tab are both
 * "mesh nodes". What differs comes through `#platform` — worker_threads / Web Workers, node-datachannel / the
 * page's RTCPeerConnection, node:os / navigator facts, LMDB on disk / IndexedDB — so a browser bundle of this
 * subpath holds no Node-only code. (`defaultCacheDir`, Node only, is no longer exported here; `openPersistentStore`
 * picks the platform's default location.)
 */
export {
  detectPlatform,
  openPersistentStore,
  type PersistentStore,
  type PersistentStoreOptions,
} from '#platform';

export type { Coordinator, CoordinatorOptions, SubmitRunOptions } from '../mesh/coordinator.js';
export { type SubmitRemoteOptions, submitRemote } from '../mesh/remote-run.js';
export {
  CALIBRATION_SOURCE,
  type Calibration,
  type CalibrationOptions,
  calibrateSpeed,
} from './calibration.js';
export {
  buildCapabilities,
  type CapabilityChoices,
  CapabilityError,
  type PlatformFacts,
} from './capabilities.js';
export { createMeshPeer, type MeshPeer, type MeshPeerOptions } from './mesh-peer.js';
export { createSignalingMembership, memberOf, type SignalingMembership } from './signaling-membership.js';
export { readTokenClaims, type TokenClaims, TokenFormatError } from './token-claims.js';
