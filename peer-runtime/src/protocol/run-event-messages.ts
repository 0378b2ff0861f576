/**
 * The wire forms of a run's events and records (run/types.ts), as `run:event` messages (messages.ts) carry them
 * from a coordinator to a remote submitter: errors as plain data (TaskError is rebuilt on arrival), attempts
 * with their peer and output. Validated by run-event-validate.ts.
 */
import type { DagIssue } from '../errors.js';
import type { OutputLine } from '../run/output.js';
import type {
  AttemptPhases,
  FetchedInput,
  FunctionStatus,
  FunctionVerification,
  RunStatus,
} from '../run/types.js';
import type { FetchTicket, TaskFailureReason } from './wire-basics.js';

/**
 * What an attempt printed, riding on the `task:succeeded` / `task:failed` event of that attempt rather than as an
 * event kind of its own: a submitter of an older version strips the unknown field, where it would refuse an
 * unknown kind (and drop the connection).
 */
export interface WireAttemptOutput {
  readonly attempt: number;
  readonly peer: string;
  readonly lines: readonly OutputLine[];
  readonly droppedLines: number;
}

/** The wire form of the run events of run/types.ts (errors as plain data: TaskError is rebuilt on arrival). */
export type WireRunEvent =
  | { readonly kind: 'task:queued'; readonly id: string }
  | {
      readonly kind: 'task:started';
      readonly id: string;
      readonly attempt: number;
      readonly peer: string;
      readonly at: number;
    }
  | {
      readonly kind: 'task:succeeded';
      readonly id: string;
      readonly attempt: number;
      readonly peer: string;
      readonly at: number;
      readonly cached: boolean;
      readonly hash: string;
      readonly size: number;
      /** SHA-256 of the result's bytes, when the coordinator knows it. */
      readonly digest?: Uint8Array;
      /** The submitter's grant to fetch the result from `peer`. */
      readonly ticket?: FetchTicket;
      /** What the attempt printed (the `function:log` event on the submitter's side). */
      readonly output?: WireAttemptOutput;
      /** Where the attempt's time went on its peer (AttemptPhases), when it said. */
      readonly phases?: AttemptPhases;
      /** How result verification accepted the value (FunctionRecord.verification), for a verified function. */
      readonly verification?: FunctionVerification;
    }
  | {
      readonly kind: 'task:failed';
      readonly id: string;
      readonly attempt: number;
      readonly peer: string;
      readonly at: number;
      readonly final: boolean;
      readonly reason: TaskFailureReason | 'peer-lost' | 'unsatisfiable' | 'unverified';
      readonly message: string;
      readonly stack?: string;
      /** What the attempt printed before it failed. */
      readonly output?: WireAttemptOutput;
      readonly phases?: AttemptPhases;
      /** For reason `unverified`: who answered (FunctionRecord.verification). */
      readonly verification?: FunctionVerification;
    }
  | { readonly kind: 'task:retried'; readonly id: string; readonly attempt: number; readonly delayMs: number }
  /** The coordinator quarantined `peer` during the run (RunEvents['peer:quarantined']). */
  | { readonly kind: 'peer:quarantined'; readonly peer: string; readonly reason: string; readonly at: number }
  /**
   * The next piece of what an attempt printed, while it runs: sent only to a submitter that asked
   * (`SubmitOptions.streamOutput`), which then gets no `output` on end events. Its pieces, in order, are the
   * attempt's output, at most the budget in all (the submitter keeps no more, whatever a coordinator sends).
   */
  | ({ readonly kind: 'task:output'; readonly id: string } & WireAttemptOutput)
  /**
   * One attempt opened or closed outside the started → succeeded | failed sequence: a straggler's copy, a
   * lineage recompute of a function that had succeeded, a copy that lost the race or whose peer was lost. The
   * submitter adds it to (or updates it in) the function's history, keyed by attempt and peer, so remote records
   * show every attempt with its peer and error.
   */
  | {
      readonly kind: 'task:attempt';
      readonly id: string;
      readonly attempt: number;
      readonly peer: string;
      readonly startedAt: number;
      readonly endedAt?: number;
      readonly error?: string;
      readonly link?: string;
      readonly fetchedFrom?: readonly FetchedInput[];
      /**
       * The attempt was revised after the function's outcome: a verification replica that answered after the
       * quorum and disagreed. The function's verification record becomes this one (its `disagreed` names the
       * peer, `agreed` becomes `disputed`) and `error` replaces the attempt's. An older submitter strips it.
       */
      readonly verification?: FunctionVerification;
    }
  /** A function waits for a peer meeting `unmet` (e.g. `gpu`, `licence 1 > 0`); it fails if none comes in time. */
  | { readonly kind: 'task:waiting'; readonly id: string; readonly unmet: string; readonly message: string }
  | { readonly kind: 'task:skipped'; readonly id: string; readonly because: string }
  /**
   * The coordinator refused the submission before running anything: an invalid DAG (`issues` lists every
   * problem, as DagValidationError does) or an unknown strategy. No other event of this run follows.
   */
  | { readonly kind: 'run:rejected'; readonly message: string; readonly issues?: readonly DagIssue[] }
  | {
      readonly kind: 'run:done';
      readonly status: RunStatus;
      readonly startedAt: number;
      readonly endedAt: number;
      /** Final status of each function, and where its result is held (for `result(id)` fetches). */
      readonly functions: readonly {
        readonly id: string;
        readonly hash: string;
        readonly status: FunctionStatus;
        readonly holders: readonly string[];
        readonly digest?: Uint8Array;
        /** The submitter's grants, one per holder (same order). */
        readonly tickets?: readonly FetchTicket[];
      }[];
    };

/** One entry of a function's history on the wire (the `task:attempt` event without its kind). */
export interface WireAttempt {
  readonly id: string;
  readonly attempt: number;
  readonly peer: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly error?: string;
  /** How the coordinator's link to `peer` connected (`FetchedInput.link`'s form). */
  readonly link?: string;
  readonly fetchedFrom?: readonly FetchedInput[];
}
