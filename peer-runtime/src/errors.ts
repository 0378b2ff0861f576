/**
 * Typed errors. Callers branch on the class or on `name`, never on message text. Every error names its culprit
 * (function id, peer id, field) in a property as well as in the message.
 *
 * @module @handout/peer-runtime/errors
 */

export class HandoutError extends Error {
  override name = 'HandoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One problem found by validation. `functionId` is absent only for problems of the DAG as a whole. */
export interface DagIssue {
  readonly code:
    | 'duplicate-id'
    | 'missing-dependency'
    | 'cycle'
    | 'output-index'
    | 'code'
    | 'cost'
    | 'timeout'
    | 'retries'
    | 'shape';
  readonly functionId?: string;
  /** The field at fault, e.g. `args[1]`, `cost.cpu`, `code`. */
  readonly field?: string;
  readonly message: string;
  /** For cycles: the ids along the cycle, first repeated at the end (`['a','b','c','a']`). */
  readonly path?: readonly string[];
}

export class DagValidationError extends HandoutError {
  override name = 'DagValidationError';
  constructor(readonly issues: readonly DagIssue[]) {
    super(
      issues.length === 1
        ? issues[0]!.message
        : `${issues.length} problems in the DAG:\n${issues.map((i) => `- ${i.message}`).join('\n')}`,
    );
  }
}

/** A function that threw, timed out, or whose worker died. */
export class TaskError extends HandoutError {
  override name = 'TaskError';
  constructor(
    readonly functionId: string,
    readonly attempt: number,
    readonly reason:
      | 'threw'
      | 'sandbox'
      | 'timeout'
      | 'out-of-memory'
      | 'worker-died'
      | 'cancelled'
      | 'peer-lost'
      | 'unsatisfiable'
      | 'unverified'
      | 'input-lost',
    readonly originalMessage: string,
    readonly originalStack?: string,
    readonly peerId?: string,
  ) {
    super(
      `function '${functionId}' failed on attempt ${attempt}${peerId ? ` on peer '${peerId}'` : ''}: ${originalMessage}`,
    );
  }
}

/**
 * A function tried something the sandbox does not provide (`process`, `import()`, `fetch`, a module its peer
 * does not allow, a change to a frozen built-in). A TaskError with reason 'sandbox', so code that handles task
 * failures keeps working, and a class (and `name`) of its own so callers can tell a refusal from a bug. Its
 * message is the sandbox's own ("function 'x' tried to use 'process', which the sandbox does not provide"),
 * followed by the peer when it ran on one.
 *
 * Why a reason of its own rather than 'threw' with this name: a refusal is deterministic and says nothing about
 * the function's inputs, so it is never retried (another sandboxed peer would refuse it again), and the reason
 * travels in `task:failed` and run events where an error's class does not.
 */
export class SandboxError extends TaskError {
  override name = 'SandboxError';
  constructor(
    functionId: string,
    attempt: number,
    originalMessage: string,
    originalStack?: string,
    peerId?: string,
  ) {
    super(functionId, attempt, 'sandbox', originalMessage, originalStack, peerId);
    this.message = `${originalMessage}${peerId ? ` (on peer '${peerId}', attempt ${attempt})` : ''}`;
  }
}

/** The error for a failed attempt: a SandboxError for reason 'sandbox', else a TaskError. */
export function taskErrorFor(
  functionId: string,
  attempt: number,
  reason: TaskError['reason'],
  originalMessage: string,
  originalStack?: string,
  peerId?: string,
): TaskError {
  return reason === 'sandbox'
    ? new SandboxError(functionId, attempt, originalMessage, originalStack, peerId)
    : new TaskError(functionId, attempt, reason, originalMessage, originalStack, peerId);
}

/** Thrown by `run.result(id)` for a function that did not run because an input failed. */
export class SkippedError extends HandoutError {
  override name = 'SkippedError';
  constructor(
    readonly functionId: string,
    readonly failedInput: string,
  ) {
    super(`function '${functionId}' was skipped because its input '${failedInput}' failed`);
  }
}

export class CancelledError extends HandoutError {
  override name = 'CancelledError';
  constructor(message = 'the run was cancelled') {
    super(message);
  }
}

/** A peer is gone, refused, or unreachable. */
export class PeerError extends HandoutError {
  override name = 'PeerError';
  constructor(
    readonly peerId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A malformed message or frame on the wire. */
export class ProtocolError extends HandoutError {
  override name = 'ProtocolError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * A data-channel message refused by the trust checks (agent/admission.ts, coordinator/admission.ts): its sender
 * lacks the role the message needs, it matches no assignment or grant, or its bytes do not match their digest.
 * Names the message kind, the sender and what was missing, so a log line or the sender's `error` reply says
 * exactly which door was shut. Never thrown into a caller's run: it is reported, counted and answered.
 */
export class RefusedError extends HandoutError {
  override name = 'RefusedError';
  constructor(
    /** The refused message's `type` (e.g. `task:assign`). */
    readonly kind: string,
    /** The peer id the connection was authenticated as. */
    readonly peerId: string,
    /** What the sender lacked: a role (`coordinate`), or a check (`assignment`, `ticket`, `digest`). */
    readonly missing: string,
    detail: string,
  ) {
    super(`'${kind}' from peer '${peerId}' refused (missing ${missing}): ${detail}`);
  }
}
