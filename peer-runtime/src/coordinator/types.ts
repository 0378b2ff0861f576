/**
 * The coordinator's public contract: its options (with defaults), submission options, events and interface.
 * The implementation is in coordinator.ts.
 */

import type { DagJSON, FunctionSpec } from '../dag/types.js';
import type { MemberDirectory } from '../mesh/members.js';
import type { MembershipSource } from '../mesh/membership.js';
import type { MeshRun } from '../mesh/mesh-run.js';
import type { RunStatus } from '../run/types.js';
import type { AllocatorOptions } from '../scheduling/allocator.js';
import type { ClaimOptions } from '../scheduling/claims.js';
import type { Allocator, NetworkModel, PeerView, Strategy } from '../scheduling/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Transport } from '../transport/types.js';
import type { StragglerOptions } from './failures.js';
import type { ReadyQueue } from './fair-queue.js';
import type { ReadyItem } from './ready-item.js';
import type { RebalanceOptions } from './rebalance.js';
import type { TrustLedger } from './trust-ledger.js';
import type { VerifyOptions } from './verify-quorum.js';

export interface CoordinatorOptions {
  readonly transport: Transport;
  /** Who is in the mesh. Default: none — peers are learned from their `peer:status` (cores = slots). */
  readonly membership?: MembershipSource;
  /**
   * What the signaling server said about each member (roles, `trusted`), for the checks of admission.ts:
   * `dag:submit` only from `submit` holders, completions and announcements only from `contribute` holders.
   * Default: `openMembers` (every sender admitted), for in-process meshes and tests; `createMeshPeer` always
   * passes the signaling client's view.
   */
  readonly members?: MemberDirectory;
  /**
   * The mesh key (`SignalingClient.meshKey`, given to `coordinate` members): with it the coordinator issues the
   * fetch tickets holders require (mesh/fetch-grants.ts) with assignments and with its remote submitters' run
   * events. Default: none, no tickets (for meshes whose holders check none: in-process meshes and tests).
   */
  readonly meshKey?: Uint8Array;
  /**
   * How long a cache receipt is believed after it was issued, ms (coordinator/receipts.ts); an older one counts
   * as a bare claim (recomputed unless this coordinator can check the hash). Infinity: forever. Default 30 days.
   */
  readonly receiptTtlMs?: number;
  /** Strategy of runs that name none. Default 'load-balanced'. */
  readonly strategy?: string;
  /** Custom strategies (or whole allocators) submitters may name. Default {}. */
  readonly strategies?: Readonly<Record<string, Strategy | Allocator>>;
  /** Options of the built-in strategies (default estimate, cost weights, HEFT plan...). Default {}. */
  readonly allocatorOptions?: AllocatorOptions;
  /** Bandwidth and latency between peers, for cost-, time- and locality-aware strategies. Default: the allocator's model. */
  readonly network?: NetworkModel;
  /** The ready queue. Default: round-robin by run (createFairQueue). */
  readonly queue?: ReadyQueue<ReadyItem>;
  /** Queued work per slot kept at each peer, in ms of function duration (estimate, else measured mean); at least one queued function per slot. Default 20. */
  readonly pipelineMs?: number;
  /** Most queued functions per slot beyond the running one. Default 64. */
  readonly maxPipelinePerSlot?: number;
  /** Delay before the first retry, doubled per further failure. Default 100 ms. */
  readonly retryBackoffMs?: number;
  /** Longest delay between attempts. Default 5000 ms. */
  readonly retryBackoffMaxMs?: number;
  /** Attempts lost without the function's fault (peer lost, input lost, handed back) before it fails. Default 5. */
  readonly maxLostAttempts?: number;
  /** How long a function may wait for a peer that meets its needs before it fails naming the need. Default 30 000 ms. */
  readonly unsatisfiableTimeoutMs?: number;
  /** How often waiting (unsatisfiable) functions are re-checked. Default min(1000, unsatisfiableTimeoutMs / 4). */
  readonly unsatisfiableCheckMs?: number;
  /**
   * Copy functions queued behind a busy peer's slots to a peer with a free slot when nothing else is ready
   * (rebalance.ts); `false` turns it off. Default { minWaitMs: 20 }.
   */
  readonly rebalance?: RebalanceOptions | false;
  /** Duplicate stragglers on idle peers; `false` turns it off. Default { factor: 3, minMs: 1000, checkMs: 500 }. */
  readonly stragglers?: StragglerOptions | false;
  /** Ping peers with work in flight that were silent this long; an unanswered ping loses the peer. 0 = off. Default 5000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Bytes of small results the coordinator keeps to send inline to consumers. Default 64 MiB. */
  readonly maxInlineBytes?: number;
  /** How long one holder may take to answer a fetch (results of in-process runs). Default 30 000 ms. */
  readonly fetchTimeoutMs?: number;
  /**
   * How long a finished run keeps its lineage: within it, `result(id)` of a function whose holders all left
   * recomputes it (and what it needs) on the peers there are; after it, such a call fails with a PeerError naming
   * the function and the lost holders. In-process runs recompute directly; remote submitters ask with
   * `result:recover` (remote-lineage.ts) and fetch from the new holder, so the coordinator keeps a finished remote
   * run's state this long (dropped when its submitter leaves). A coordinator that is gone cannot recompute: its
   * remote submitters get the PeerError. Default 600 000 ms; 0 = never recompute.
   */
  readonly keepLineageMs?: number;
  /**
   * Most functions the finished remote runs kept for their lineage may hold together (memory: a coordinator
   * serving many large DAGs); past it the oldest runs are let go early, and their submitters get the "no longer
   * keeps the lineage" answer. Default 200 000.
   */
  readonly keepLineageMaxFunctions?: number;
  /**
   * How long a new run may wait for contributing peers that have not yet told this coordinator what they hold
   * (their first `peer:status`), so that a coordinator that just started or takes a run over from a lost one
   * (failover) finds their cached results instead of recomputing them. 0 = start at once. Default 0; mesh peers
   * (createMeshPeer) use 2000.
   */
  readonly holdingsWaitMs?: number;
  /**
   * The per-peer record of verified answers (trust-ledger.ts). Pass one restored from a snapshot to keep trust
   * across coordinator restarts. Default: a fresh ledger (quarantine after 2 lost quorums).
   */
  readonly trustLedger?: TrustLedger;
  /**
   * Believe advertised slots and speed only as far as delivered (scheduling/claims.ts): slow start from one slot,
   * measured speed replacing the advertised one. `false`: believe the claims (a mesh of your own machines).
   * Default {} (initialSlots 1, maxUnmeasuredSpeed 4, minSamples 3, minSampleMs 10).
   */
  readonly claims?: ClaimOptions | false;
  /** Draws spot checks of verified runs (tests make it deterministic). Default Math.random. */
  readonly verifyRandom?: () => number;
  /**
   * Where the coordinator tells what it does (runs accepted and done, waiting functions, lost peers, refused
   * messages), with fields `run`, `function`, `peer`. Default: silentLogger.
   */
  readonly logger?: Logger;
}

export interface SubmitRunOptions {
  /** A built-in strategy name or one of `CoordinatorOptions.strategies`. Default: the coordinator's strategy. */
  readonly strategy?: string;
  /** The run's id. Default: a random UUID. */
  readonly runId?: string;
  /** Verify results by replicas and quorum (verify.ts, docs/security.md). Default: off (results are believed). */
  readonly verify?: VerifyOptions;
}

export interface CoordinatorEvents {
  /** A function waits for a peer meeting `unmet`; it fails after `unsatisfiableTimeoutMs` unless one comes. */
  'task:waiting': { runId: string; functionId: string; unmet: string; message: string };
  /** A peer was given up on; its running work re-runs elsewhere. */
  'peer:lost': { peerId: string; reason: string };
  /** A replica's result digest lost a quorum (verify.ts): `peerId` answered `digest`, the quorum `accepted`. */
  'verify:disagreed': { runId: string; functionId: string; peerId: string; digest: string; accepted: string };
  /** The trust ledger quarantined a peer: no more work, its holdings not served (it is also `peer:lost`). */
  'peer:quarantined': { peerId: string; reason: string };
}

/** Counts for metrics (`handout_coordinator_*`, docs/telemetry.md). */
export interface CoordinatorStats {
  /** Runs in progress. */
  readonly runs: number;
  /** Ready functions waiting for a peer (the ready queue's depth). */
  readonly queued: number;
  /** Peers work can go to. */
  readonly peers: number;
  /** Runs ended since the coordinator started, by status. */
  readonly runsDone: Readonly<Partial<Record<RunStatus, number>>>;
  /** Sum of the durations of the runs ended, ms. */
  readonly runMs: number;
}

export interface Coordinator {
  readonly peerId: string;
  stats(): CoordinatorStats;
  /** Validate, hash and run a DAG from this process. Throws DagValidationError for an invalid DAG. */
  submit(dag: DagJSON | readonly FunctionSpec[], options?: SubmitRunOptions): MeshRun;
  /** The peers work can go to, with what is placed on them. */
  peers(): readonly PeerView[];
  /** Peers known to hold a content hash. */
  holders(hash: string): readonly string[];
  on<E extends keyof CoordinatorEvents>(
    event: E,
    listener: (payload: CoordinatorEvents[E]) => void,
  ): () => void;
  /** Messages refused so far, by `"<kind> <missing>"` (e.g. `"dag:submit submit"`, `"task:result assignment"`). */
  refusals(): ReadonlyMap<string, number>;
  /** Per-peer trust (verified answers, contradicted claims, quarantines): trust-ledger.ts. */
  readonly ledger: TrustLedger;
  /** Cancels every run, stops timers and detaches from the transport. */
  close(): Promise<void>;
}
