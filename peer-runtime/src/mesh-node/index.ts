/**
 * `@handout/peer-runtime/mesh-node`: a Node process as a mesh member (createMeshPeer) and what `connect()` in the
 * SDK builds on. Node-only (disk cache, worker_threads, node-datachannel); the capability and calibration modules
 * are platform-neutral and the browser contribute page imports them by path.
 */

export type { Coordinator, CoordinatorOptions, SubmitRunOptions } from '../mesh/coordinator.js';
export { type SubmitRemoteOptions, submitRemote } from '../mesh/remote-run.js';
export { defaultCacheDir } from './cache-dir.node.js';
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
export { detectPlatform } from './capabilities.node.js';
export { createMeshPeer, type MeshPeer, type MeshPeerOptions } from './mesh-peer.js';
export { createSignalingMembership, memberOf, type SignalingMembership } from './signaling-membership.js';
export { readTokenClaims, type TokenClaims, TokenFormatError } from './token-claims.js';
