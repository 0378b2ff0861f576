/** The coordinator role: takes DAGs, places each ready function on a peer, follows outcomes to the run's end. */
export {
  type Coordinator,
  type CoordinatorEvents,
  type CoordinatorOptions,
  type CoordinatorStats,
  createCoordinator,
  type SubmitRunOptions,
} from './coordinator.js';
export type { StragglerOptions } from './failures.js';
export { createFairQueue, type QueueItem, type ReadyQueue } from './fair-queue.js';
export type { ReadyItem } from './ready-item.js';
export { type DirectoryEntry, ResultDirectory, type ResultDirectoryOptions } from './result-directory.js';
export { TrustLedger, type TrustLedgerOptions, type TrustRecord } from './trust-ledger.js';
export {
  MAX_REPLICAS,
  type QuorumDecision,
  Tally,
  type VerifyOptions,
  type VerifyPolicy,
  VerifyPolicyError,
  verifyPolicy,
} from './verify-quorum.js';
