/**
 * The run object: what `runLocal(dag)` and `mesh.submit(dag)` both return, so a progress bar, a CLI or a
 * dashboard follows a local run and a mesh run the same way.
 */
import type { TaskError } from '../errors.js';
import type { AttemptOutput } from './output.js';

/**
 * An input an attempt fetched from another peer, and how the link to it connected, as `describeLinkPath` writes
 * it (`host/udp`, `prflx/udp`, `relay/udp`, `relay/udp via tcp`; `unknown` when the stack did not say).
 */
export interface FetchedInput {
  readonly peer: string;
  readonly link: string;
  /**
   * The fetching peer's figures for its link to `peer` when it reported the attempt (mesh/link-meter.ts: round
   * trip, and bytes per second received from `peer`), when it has measured them: what the coordinator also learns
   * on `peer:status.links`, here so a submitter (the dashboard's peers view) sees them too.
   */
  readonly rttMs?: number;
  readonly bytesPerSecond?: number;
}

export type FunctionStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One attempt of one function, kept so a failure says where and why every attempt died. */
export interface AttemptRecord {
  readonly attempt: number;
  /** Worker index locally (`local:3`), peer id on a mesh. */
  readonly peer: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly error?: string;
  /**
   * On a mesh, how the coordinator's link to `peer` connected (`host/udp`, `prflx/udp`, `relay/udp`, ...: see
   * `describeLinkPath`), when the transport knows. Remote submitters see it on attempts that fetched inputs.
   */
  link?: string;
  /** On a mesh: the inputs this attempt fetched from other peers, with how each link connected. */
  fetchedFrom?: readonly FetchedInput[];
  /** Where the attempt's time went on the peer that ran it, as that peer measured it (telemetry/tracing.ts). */
  phases?: AttemptPhases;
}

/**
 * The phases of one attempt on the peer (or local worker) that ran it, in ms of that peer's own clock: getting
 * its inputs (inline, from its store, or fetched from holders), running it in a worker, and encoding and storing
 * its result. Whatever else the attempt took (the assignment's trip, waiting for a worker slot, the report's trip)
 * is the rest of its span. Locally the result is stored after the function is reported, off its path: 0.
 */
export interface AttemptPhases {
  readonly fetchMs: number;
  readonly runMs: number;
  readonly storeMs: number;
}

/** The record of one function after (or during) a run. Times are epoch milliseconds. */
export interface FunctionRecord {
  readonly id: string;
  readonly hash: string;
  status: FunctionStatus;
  attempts: number;
  /** Where the successful (or last) attempt ran: `local:N` for a local worker, the peer id on a mesh. */
  peer?: string;
  startedAt?: number;
  endedAt?: number;
  /** True when the result came from a cache and nothing executed. */
  cached?: boolean;
  /** The function's results: one value, or the array of `outputs` values. */
  results?: unknown;
  error?: TaskError;
  /** For skipped functions: the failed input that caused the skip. */
  skippedBecause?: string;
  history: AttemptRecord[];
  /**
   * What the function printed (console.log and friends in its worker), one entry per attempt that printed,
   * in the order they arrived; absent when nothing printed. Bounded per attempt (run/output.ts).
   */
  logs?: AttemptOutput[];
  /**
   * On a mesh run with result verification (a `verify` policy on the run or the function): how its result was
   * checked, which peers agreed on it and which lost. Absent when nothing checked it (no policy, `verify: false`,
   * a `deterministic: false` function, a local run).
   */
  verification?: FunctionVerification;
}

/**
 * How a verified function's result was accepted, or why it was not (docs/security.md, Verified results):
 * - `agreed`: a quorum of replicas gave the same result digest and no replica disagreed;
 * - `disputed`: a quorum agreed, and the peers in `disagreed` answered something else (they lost trust);
 * - `unverified`: no digest could reach the quorum within the replica limit, so the function failed;
 * - `trusted-peer`: placed alone on a peer with a clean record (no spot check drawn), whose word was taken;
 * - `cached`: served from a result a quorum accepted earlier (`agreed` names its holders among those peers).
 */
export type VerificationOutcome = 'agreed' | 'disputed' | 'unverified' | 'trusted-peer' | 'cached';

export interface FunctionVerification {
  readonly outcome: VerificationOutcome;
  /** Distinct peers the function's policy runs it on at first, and how many must agree (the policy's quorum). */
  readonly replicas: number;
  readonly quorum: number;
  /** Peers whose result digest is the accepted one, in answer order (the one peer for `trusted-peer`). */
  readonly agreed: readonly string[];
  /** Peers whose digest lost to the accepted one; for `unverified`, every peer that answered. */
  readonly disagreed: readonly string[];
  /** Hex SHA-256 of the accepted result's encoded bytes, when the coordinator knows it. */
  readonly digest?: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly functions: readonly FunctionRecord[];
}

/** Events a run emits, namespaced as `task:*`, `function:*` and `run:*`. */
export interface RunEvents {
  'task:queued': { id: string };
  'task:started': { id: string; attempt: number; peer: string; at: number };
  'task:succeeded': { id: string; attempt: number; peer: string; at: number; cached: boolean };
  'task:failed': { id: string; attempt: number; peer: string; at: number; error: TaskError; final: boolean };
  'task:retried': { id: string; attempt: number; delayMs: number };
  'task:skipped': { id: string; because: string };
  /**
   * A mesh run moved to another coordinator because its own was lost (submit/submit-remote.ts): `from` and `to`
   * are coordinator peer ids, `reason` says how the loss showed (disconnected, stopped answering, left the mesh;
   * when a coordinator chosen meanwhile was lost too before it answered, each loss: `left the mesh; then 'co-a'
   * stopped answering (…)`),
   * `gapMs` how long the run had no coordinator (from the last word of the old one to the first of the new one).
   * Local runs never emit it.
   */
  'run:coordinator-changed': { from: string; to: string; reason: string; gapMs: number };
  /**
   * The coordinator's trust ledger gave up on `peer` while this run ran (it lost quorums, or delivered far less
   * than it advertised): its attempts re-run elsewhere, its holdings are no longer served, it gets no more work.
   * `reason` is the ledger's. Told to every run in flight at the time, local or remote; local runs never emit it.
   */
  'peer:quarantined': { peer: string; reason: string; at: number };
  /**
   * An attempt of function `id` printed something: the next piece of its output, sent as it prints (local runs,
   * and mesh runs whose coordinator streams) or once with the attempt's outcome (an older coordinator or peer).
   * Pieces of one attempt concatenate to its entry of `FunctionRecord.logs`; `droppedLines` counts lines past
   * the budget since the last event that told of any.
   */
  'function:log': { id: string } & AttemptOutput;
  'run:done': RunSummary;
}

export type RunEventName = keyof RunEvents;

export interface Run {
  readonly id: string;
  /** Resolves (never rejects) when every function has ended; `status` says how. */
  readonly done: Promise<RunSummary>;
  /** The value of one function (the array of outputs for multi-output functions); rejects with TaskError, SkippedError or CancelledError. */
  result(id: string): Promise<unknown>;
  on<E extends RunEventName>(event: E, listener: (payload: RunEvents[E]) => void): () => void;
  /** Live records, updated as the run goes. */
  records(): readonly FunctionRecord[];
  cancel(reason?: string): void;
}
