/**
 * The submitter ↔ coordinator messages of the data-channel protocol (messages.ts holds the union and the rest):
 * a DAG submitted with its options (strategy, verification, a run moved from a lost coordinator, live output),
 * a run cancelled, a lost final result asked for again and where it can be had.
 */
import type { DagJSON, VerifyOptions } from '../dag/types.js';
import type { WireAttempt } from './run-event-messages.js';
import type { FetchTicket } from './wire-basics.js';

export interface SubmitOptions {
  /** Allocation strategy name (`first-available`, `load-balanced`, `cost-optimized`, `time-optimized`, `locality`, or a custom one). */
  readonly strategy?: string;
  /** Verify results by replication and quorum (docs/security.md, coordinator/verify.ts). Default: off. */
  readonly verify?: VerifyOptions;
  /**
   * Send what functions print as `task:output` run events while they run, instead of only on each attempt's
   * end event. How a submitter says it understands that event kind (an older one would refuse it); an older
   * coordinator ignores the field and keeps sending output on end events. Default false.
   */
  readonly streamOutput?: boolean;
  /**
   * Set when the submitter moves the run from a lost coordinator (submit/failover.ts): what it knows of each
   * function, so the new coordinator numbers attempts on and hands work in flight back to the peers running it
   * (coordinator/handover.ts). Default: absent (a fresh run).
   */
  readonly resume?: RunResume;
}

/** A run moved from a lost coordinator, as its submitter saw it (SubmitOptions.resume). */
export interface RunResume {
  /** The coordinator the run moves from. */
  readonly from: string;
  /** Functions that had attempts (a list, not an object keyed by id: any id is a plain value). */
  readonly functions: readonly ResumedFunction[];
}

export interface ResumedFunction {
  readonly id: string;
  /** Attempts it had so far: the new coordinator's first one is numbered after them. */
  readonly attempts: number;
  /** The peer its attempt was running on when the coordinator was lost; absent when none was running. */
  readonly peer?: string;
}

/** Result verification of a run (the same policy a function's spec may carry: dag/types.ts). */
export type { VerifyOptions } from '../dag/types.js';

/** Submitter → coordinator: run this DAG. The submitter picks `runId` (unique per submitter). */
export interface DagSubmitMessage {
  readonly type: 'dag:submit';
  readonly runId: string;
  readonly dag: DagJSON;
  readonly options: SubmitOptions;
}

/** Submitter → coordinator: cancel a run. */
export interface RunCancelMessage {
  readonly type: 'run:cancel';
  readonly runId: string;
  readonly reason: string;
}

/**
 * Submitter → coordinator: none of the holders of a final result of run `runId` answered its fetch. The
 * coordinator recomputes the function from the run's lineage (while it keeps it, `keepLineageMs`) and answers
 * with `result:recovered`. `requestId` (chosen by the submitter) pairs the reply.
 */
export interface ResultRecoverMessage {
  readonly type: 'result:recover';
  readonly requestId: number;
  readonly runId: string;
  readonly functionId: string;
}

/** Where a recovered result can be had: `holders`, or the bytes themselves (`inline`). */
export interface RecoveredLocation {
  readonly hash: string;
  /** Encoded size in bytes (0 when unknown). */
  readonly size: number;
  readonly holders: readonly string[];
  readonly inline?: Uint8Array;
  readonly digest?: Uint8Array;
  /** The submitter's grants, one per holder (same order). */
  readonly tickets?: readonly FetchTicket[];
}

/**
 * Coordinator → submitter: the answer to `result:recover`. Either `location`, where the result can be had now,
 * or `error`, why it cannot be recovered (lineage no longer kept, run unknown, the recompute failed); never both.
 * `attempts` are the history entries the recompute opened or closed (the function's and those of its own lost
 * inputs, recomputed first), so the submitter's records show them.
 */
export interface ResultRecoveredMessage {
  readonly type: 'result:recovered';
  readonly requestId: number;
  readonly runId: string;
  readonly functionId: string;
  readonly location?: RecoveredLocation;
  readonly error?: string;
  readonly attempts: readonly WireAttempt[];
}
