/** The mesh: coordinator, peer agent and remote submission, transport-independent (memory or WebRTC). */
export {
  type Coordinator,
  type CoordinatorEvents,
  type CoordinatorOptions,
  createCoordinator,
  type SubmitRunOptions,
} from './coordinator.js';
export { type DirectoryEntry, ResultDirectory, type ResultDirectoryOptions } from './directory.js';
export type { StragglerOptions } from './failures.js';
export { createFairQueue, type QueueItem, type ReadyQueue } from './fair-queue.js';
export {
  createMemoryMembership,
  type MembershipEvents,
  type MembershipSource,
  type MemoryMembership,
  type MeshMember,
  nodeCapabilities,
} from './membership.js';
export {
  lostResultError,
  MeshRun,
  type MeshRunEvents,
  type MeshRunOptions,
  type ResultLocation,
} from './mesh-run.js';
export { createPeerAgent, INLINE_RESULT_LIMIT, type PeerAgent, type PeerAgentOptions } from './peer-agent.js';
export { type MeshPort, portOf } from './port.js';
export { type SubmitRemoteOptions, submitRemote } from './remote-run.js';
export type { ReadyItem } from './scheduler.js';
