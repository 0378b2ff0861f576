/**
 * The data-channel protocol: its version and every message peers exchange, as one discriminated union.
 *
 * Conventions:
 * - `type` is the discriminant; lifecycle messages are bare (`hello`, `ping`), domain messages namespaced
 *   (`task:assign`, `result:fetch`).
 * - Byte payloads (results, inline inputs) are `Uint8Array` fields: the codec (codec.ts, CBOR) carries them as
 *   byte strings, never through JSON or base64.
 * - Result values travel as the bytes of protocol/value-codec.ts, so they are stored, hashed and forwarded
 *   without being decoded on the way.
 * - Every message is validated on arrival (messages-validate.ts); a bad one is a ProtocolError naming the field.
 */
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import type { DagIssue } from '../errors.js';
import type { MeasuredLink } from '../measured-link.js';
import type { FunctionOutput, OutputLine } from '../run/output.js';
import type { FunctionStatus, RunStatus } from '../run/types.js';

/**
 * Bumped on any incompatible change. Peers exchange it in `hello`; a peer speaking another version is
 * disconnected with reason `protocol-error` instead of being fed messages it would misread.
 */
export const PROTOCOL_VERSION = 1;

// ---- transport level -------------------------------------------------------------------------------------

/** The first message on every connection, from both sides. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly peerId: string;
}

/** Liveness and round-trip time; the transport answers pings itself. */
export interface PingMessage {
  readonly type: 'ping';
  readonly nonce: number;
  readonly sentAt: number;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly nonce: number;
  /** Echo of the ping's `sentAt`, so the pinger computes the round trip from its own clock. */
  readonly sentAt: number;
}

/** A complaint about a message received (e.g. a ProtocolError), sent before closing or as a reply. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: 'protocol' | 'unsupported' | 'refused' | 'internal';
  readonly message: string;
  readonly field?: string;
}

// ---- coordinator ⇄ peers ----------------------------------------------------------------------------------

/** Where one input of an assigned function can be found. */
export interface InputLocation {
  /** Content hash of the producing function (the result store key). */
  readonly hash: string;
  /** Peers that hold it, best first. Empty when `inline` is given. */
  readonly holders: readonly string[];
  /** The encoded result itself, when small enough to ride with the assignment. */
  readonly inline?: Uint8Array;
}

export interface TaskAssignment {
  readonly functionId: string;
  readonly hash: string;
  readonly attempt: number;
  /** The function as data; its `args` refer to other functions by id, resolved through `inputs` by producer id. */
  readonly spec: FunctionSpec;
  /** One entry per producer id appearing in `spec.args`. */
  readonly inputs: Readonly<Record<string, InputLocation>>;
}

/** Coordinator → peer: a batch of functions to run (batched so thousands of small functions flow fast). */
export interface TaskAssignMessage {
  readonly type: 'task:assign';
  readonly runId: string;
  readonly assignments: readonly TaskAssignment[];
}

/** Peer → coordinator: a function finished; its result stays in the peer's store under `hash`. */
export interface TaskResultMessage {
  readonly type: 'task:result';
  readonly runId: string;
  readonly functionId: string;
  readonly hash: string;
  readonly attempt: number;
  /** Encoded size in bytes. */
  readonly size: number;
  readonly durationMs: number;
  /** The encoded result, when small (the coordinator then need not fetch it). */
  readonly inline?: Uint8Array;
  /** What the attempt printed (run/output.ts; at most OUTPUT_LIMIT_CHARS), when it printed anything. */
  readonly output?: FunctionOutput;
}

export const TASK_FAILURE_REASONS = [
  'threw',
  'sandbox',
  'timeout',
  'out-of-memory',
  'worker-died',
  'cancelled',
  'input-lost',
] as const;
export type TaskFailureReason = (typeof TASK_FAILURE_REASONS)[number];

export interface TaskFailedMessage {
  readonly type: 'task:failed';
  readonly runId: string;
  readonly functionId: string;
  readonly hash: string;
  readonly attempt: number;
  readonly reason: TaskFailureReason;
  readonly message: string;
  readonly stack?: string;
  /** For `input-lost`: the hash that could not be fetched from any holder. */
  readonly missingInput?: string;
  /** What the attempt printed before it failed, when it printed anything. */
  readonly output?: FunctionOutput;
}

/** Coordinator → peer: stop these functions (straggler duplicate lost, run cancelled). */
export interface TaskCancelMessage {
  readonly type: 'task:cancel';
  readonly runId: string;
  readonly functionIds: readonly string[];
  readonly reason: string;
}

/** Any peer → holder: send me the bytes stored under `hash`. `requestId` pairs the reply. */
export interface ResultFetchMessage {
  readonly type: 'result:fetch';
  readonly requestId: number;
  readonly hash: string;
}

/** Holder → requester: the bytes (possibly many MB; framing chunks them). */
export interface ResultDataMessage {
  readonly type: 'result:data';
  readonly requestId: number;
  readonly hash: string;
  readonly bytes: Uint8Array;
}

export interface ResultMissingMessage {
  readonly type: 'result:missing';
  readonly requestId: number;
  readonly hash: string;
}

export interface SubmitOptions {
  /** Allocation strategy name (`first-available`, `load-balanced`, `cost-optimized`, `time-optimized`, `locality`, or a custom one). */
  readonly strategy?: string;
}

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
      /** What the attempt printed (the `function:log` event on the submitter's side). */
      readonly output?: WireAttemptOutput;
    }
  | {
      readonly kind: 'task:failed';
      readonly id: string;
      readonly attempt: number;
      readonly peer: string;
      readonly at: number;
      readonly final: boolean;
      readonly reason: TaskFailureReason | 'peer-lost' | 'unsatisfiable';
      readonly message: string;
      readonly stack?: string;
      /** What the attempt printed before it failed. */
      readonly output?: WireAttemptOutput;
    }
  | { readonly kind: 'task:retried'; readonly id: string; readonly attempt: number; readonly delayMs: number }
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
      }[];
    };

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

/** One entry of a function's history on the wire (the `task:attempt` event without its kind). */
export interface WireAttempt {
  readonly id: string;
  readonly attempt: number;
  readonly peer: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly error?: string;
}

/** Where a recovered result can be had: `holders`, or the bytes themselves (`inline`). */
export interface RecoveredLocation {
  readonly hash: string;
  /** Encoded size in bytes (0 when unknown). */
  readonly size: number;
  readonly holders: readonly string[];
  readonly inline?: Uint8Array;
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

/** Coordinator → submitter: one event of a run. */
export interface RunEventMessage {
  readonly type: 'run:event';
  readonly runId: string;
  readonly event: WireRunEvent;
}

/** Peer → coordinator: runtime state (sent on change). Capabilities themselves live in the signaling registry. */
export interface PeerStatusMessage {
  readonly type: 'peer:status';
  /** Functions running now. */
  readonly running: number;
  /** Worker slots. */
  readonly slots: number;
  readonly paused: boolean;
  /** Hashes newly stored (`added`) or evicted (`removed`) since the last status. */
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
  /**
   * Links to other peers this peer measured (mesh/link-meter.ts), sent when a figure is new or moved by 20%
   * since last reported; at most MAX_STATUS_LINKS. The coordinator's network model uses them (network-probe.ts).
   */
  readonly links?: readonly LinkReport[];
}

/** Most `links` in one `peer:status`. */
export const MAX_STATUS_LINKS = 64;

/**
 * One link as its measuring peer reports it: the figures of a MeasuredLink to `peer` (bytes per second being
 * what the reporter received from it), without `measuredAt` (the reporter's clock is not the receiver's).
 */
export interface LinkReport extends Omit<MeasuredLink, 'measuredAt'> {
  /** The remote peer. */
  readonly peer: string;
}

/**
 * Several messages to one peer as one: a mesh running thousands of tiny functions per second sends that many
 * completions and run events, and each message pays the codec, framing and channel cost (about 150 µs on the
 * in-memory transport), so senders bundle what they produce within one event-loop turn. The receiver handles
 * the inner messages in order, exactly as if they had come one by one. Never nested; never carries the
 * transport's own `hello`/`ping`/`pong`.
 */
export interface BatchMessage {
  readonly type: 'batch';
  readonly messages: readonly BatchableMessage[];
}

export type BatchableMessage = Exclude<WireMessage, BatchMessage | HelloMessage | PingMessage | PongMessage>;

export type WireMessage =
  | HelloMessage
  | PingMessage
  | PongMessage
  | ErrorMessage
  | TaskAssignMessage
  | TaskResultMessage
  | TaskFailedMessage
  | TaskCancelMessage
  | ResultFetchMessage
  | ResultDataMessage
  | ResultMissingMessage
  | DagSubmitMessage
  | RunCancelMessage
  | RunEventMessage
  | ResultRecoverMessage
  | ResultRecoveredMessage
  | PeerStatusMessage
  | BatchMessage;

export type WireMessageType = WireMessage['type'];

/** The message of one type, e.g. `MessageOf<'task:assign'>`. */
export type MessageOf<T extends WireMessageType> = Extract<WireMessage, { type: T }>;
