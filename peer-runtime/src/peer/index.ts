/**
 * `@handout/peer-runtime/peer`: a mesh member (createMeshPeer, the assembly of signaling, transport, agent and
 * optional coordinator) and what `connect()` in the SDK builds on. Platform-neutral: what differs comes through
 * `#platform` (worker_threads / Web Workers, node-datachannel / the page's RTCPeerConnection, node:os / navigator,
 * LMDB / IndexedDB), so a browser bundle of this subpath holds no Node-only code.
 *
 * @module @handout/peer-runtime/peer
 */
export {
  detectPlatform,
  openPersistentStore,
  type PersistentStore,
  type PersistentStoreOptions,
} from '#platform';

export type { Coordinator, CoordinatorOptions, SubmitRunOptions } from '../coordinator/coordinator.js';
export { TrustLedger, type TrustRecord } from '../coordinator/trust-ledger.js';
export type { VerifyOptions } from '../coordinator/verify-quorum.js';
export { readTokenClaims, type TokenClaims, TokenFormatError } from '../signaling/token-claims.js';
export { type FallbackContext, type SubmitRemoteOptions, submitRemote } from '../submit/submit-remote.js';
export {
  type IceServerEntry,
  IceServerSyntaxError,
  parseIceServer,
  parseIceServers,
} from '../transport/ice-servers.js';
export { type CandidateType, describeLinkPath, type LinkPath } from '../transport/link-path.js';
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
export { TRUST_CODE_WARNING, TRUSTED_CODE_TAG, tagsForCodeTrust } from './code-trust.js';
export { createMeshPeer, type MeshPeer, type MeshPeerOptions } from './mesh-peer.js';
export { createSignalingMembership, memberOf, type SignalingMembership } from './signaling-membership.js';
