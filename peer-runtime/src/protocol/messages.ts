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
import type { FunctionSpec } from '../dag/types.js';
import type { MeasuredLink } from '../measured-link.js';
import type { FunctionOutput, OutputLine } from '../run/output.js';
import type { AttemptPhases, FetchedInput } from '../run/types.js';
import type { ResultReceipt, ResultReceiptsMessage } from './receipt-messages.js';
import type { WireRunEvent } from './run-event-messages.js';
import type {
  DagSubmitMessage,
  ResultRecoveredMessage,
  ResultRecoverMessage,
  RunCancelMessage,
} from './submit-messages.js';
import type { FetchTicket, TaskFailureReason } from './wire-basics.js';

export type { ResultReceipt, ResultReceiptsMessage } from './receipt-messages.js';
export type { WireAttempt, WireAttemptOutput, WireRunEvent } from './run-event-messages.js';
export { type FetchTicket, TASK_FAILURE_REASONS, type TaskFailureReason } from './wire-basics.js';

/**
 * Bumped on any incompatible change. Peers exchange it in `hello`; a peer speaking another version is
 * disconnected with reason `protocol-error` instead of being fed messages it would misread. 3: multi-frame
 * messages travel on numbered streams that may interleave (framing.ts); `hello` is one whole frame in both.
 */
export const PROTOCOL_VERSION = 3;

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
  /** For `refused`: the `type` of the message that was refused. */
  readonly kind?: string;
  /** For `refused`: the role or check the sender lacked (`coordinate`, `submit`, `assignment`, `ticket`). */
  readonly missing?: string;
}

// ---- coordinator ⇄ peers ----------------------------------------------------------------------------------

/** Where one input of an assigned function can be found. */
export interface InputLocation {
  /**
   * The producing function's id, as it appears in `spec.args`. Inputs travel as a list, not an object keyed by
   * producer id, so that any id (`__proto__`, `constructor`) is a plain value on the wire and in memory.
   */
  readonly producer: string;
  /** Content hash of the producing function (the result store key). */
  readonly hash: string;
  /** Peers that hold it, best first. Empty when `inline` is given. */
  readonly holders: readonly string[];
  /** The encoded result itself, when small enough to ride with the assignment. */
  readonly inline?: Uint8Array;
  /** SHA-256 of the result's bytes as its producer reported them: fetched bytes are used only if they match. */
  readonly digest?: Uint8Array;
  /** One ticket per holder (same order as `holders`), without which holders refuse the fetch. */
  readonly tickets?: readonly FetchTicket[];
}

export interface TaskAssignment {
  readonly functionId: string;
  readonly hash: string;
  readonly attempt: number;
  /** The function as data; its `args` refer to other functions by id, resolved through `inputs` by producer id. */
  readonly spec: FunctionSpec;
  /** One entry per distinct producer id appearing in `spec.args`. */
  readonly inputs: readonly InputLocation[];
  /**
   * A handover (coordinator failover, agent/handover.ts): this peer was running the function, or had finished
   * it, for a coordinator that was lost. The peer joins the execution still running under the same hash, or
   * answers from the result it stored, instead of running it again. Set only by a coordinator that took the run
   * over, for the peer the submitter last saw running it. Default: absent (an ordinary assignment).
   */
  readonly adopt?: boolean;
}

/** Coordinator → peer: a batch of functions to run (batched so thousands of small functions flow fast). */
export interface TaskAssignMessage {
  readonly type: 'task:assign';
  readonly runId: string;
  readonly assignments: readonly TaskAssignment[];
  /**
   * Send what these functions print while they run (`task:output`), not only with their outcome. How a
   * coordinator says it understands `task:output`: a peer never sends it unasked, so an older coordinator (which
   * would refuse the unknown message) is never sent one, and an older peer ignores the field. Default false.
   */
  readonly streamOutput?: boolean;
}

export type { FetchedInput } from '../run/types.js';

/**
 * A holder of an input this peer could not reach at all (no link opened), as opposed to one that answered it
 * did not have the bytes: `failure` is LinkSetupError's (`ice-failed`, `timeout`, `signaling`, `channel`) or
 * `unreachable` (not a member, gone). The coordinator records the pair and stops placing work that needs it.
 */
export interface UnreachableHolder {
  readonly peer: string;
  readonly failure: 'ice-failed' | 'timeout' | 'signaling' | 'channel' | 'unreachable';
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
  /**
   * SHA-256 of the encoded bytes: what fetchers of this result will check the holder's bytes against. Required
   * unless `inline` is given: the coordinator then has the bytes and derives the digest itself when it needs one
   * (a small result's digest would cost its producer a few µs per function for nothing most of the time).
   */
  readonly digest?: Uint8Array;
  readonly durationMs: number;
  /** The encoded result, when small (the coordinator then need not fetch it). */
  readonly inline?: Uint8Array;
  /** Inputs fetched from other peers for this attempt, with how each link connected. */
  readonly fetchedFrom?: readonly FetchedInput[];
  /** What the attempt printed (run/output.ts; at most OUTPUT_LIMIT_CHARS), when it printed anything. */
  readonly output?: FunctionOutput;
  /** Where the attempt's time went on this peer (AttemptPhases; traces show them). Older peers send none. */
  readonly phases?: AttemptPhases;
}

/**
 * Peer → coordinator, only when the assignment asked for it (`streamOutput`): the next lines attempt `attempt`
 * of `functionId` printed while it runs (run/output.ts), at most every 100 ms per function; the outcome's own
 * `output` then carries only what no `task:output` carried. The coordinator accepts it only for an attempt it
 * assigned to that peer, and keeps at most the attempt's budget over all of its pieces (run/output-book.ts).
 */
export interface TaskOutputMessage {
  readonly type: 'task:output';
  readonly runId: string;
  readonly functionId: string;
  readonly hash: string;
  readonly attempt: number;
  readonly lines: readonly OutputLine[];
  /** Lines its worker dropped past the budget since the last piece. */
  readonly droppedLines: number;
}

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
  /** Inputs fetched from other peers for this attempt before it failed. */
  readonly fetchedFrom?: readonly FetchedInput[];
  /**
   * For `input-lost`: the holders no link could be opened to, and why. When every holder of the missing input is
   * here, the input is not lost (its holders have it): the coordinator places the function where it can be had.
   */
  readonly unreachable?: readonly UnreachableHolder[];
  /** What the attempt printed before it failed, when it printed anything. */
  readonly output?: FunctionOutput;
  /** Where the attempt's time went on this peer, as far as it got (AttemptPhases). */
  readonly phases?: AttemptPhases;
}

/** Coordinator → peer: stop these functions (straggler duplicate lost, run cancelled). */
export interface TaskCancelMessage {
  readonly type: 'task:cancel';
  readonly runId: string;
  readonly functionIds: readonly string[];
  readonly reason: string;
}

/**
 * Any peer → holder: send me the bytes stored under `hash`. `requestId` pairs the reply. Holders serve it only
 * with a `ticket` a coordinator issued for this hash and this fetcher (coordinators themselves need none).
 */
export interface ResultFetchMessage {
  readonly type: 'result:fetch';
  readonly requestId: number;
  readonly hash: string;
  readonly ticket?: FetchTicket;
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

export type {
  DagSubmitMessage,
  RecoveredLocation,
  ResultRecoveredMessage,
  ResultRecoverMessage,
  ResumedFunction,
  RunCancelMessage,
  RunResume,
  SubmitOptions,
  VerifyOptions,
} from './submit-messages.js';

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
  /** Receipts for hashes of `added` (protocol/receipt-messages.ts); a hash without one is only a claim. */
  readonly receipts?: readonly ResultReceipt[];
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
  | TaskOutputMessage
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
  | ResultReceiptsMessage
  | BatchMessage;

export type WireMessageType = WireMessage['type'];

/** The message of one type, e.g. `MessageOf<'task:assign'>`. */
export type MessageOf<T extends WireMessageType> = Extract<WireMessage, { type: T }>;
