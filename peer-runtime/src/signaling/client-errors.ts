/** The signaling client's errors: one class per kind of failure, branched on by `code`, never by message. */
import { HandoutError } from '../errors.js';
import {
  type EventError,
  type EventErrorCode,
  REFUSAL_REASONS,
  type RefusalReason,
  type SessionCloseReason,
} from './contract.js';

export type SignalingErrorCode =
  | RefusalReason
  | EventErrorCode
  | SessionCloseReason
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'invalid-message'
  /** The server closed the WebSocket with 1009: a message was over its transport limit. */
  | 'message-too-large';

/** A signaling failure: `code` says which (branch on it, never on the message). */
export class SignalingError extends HandoutError {
  override name = 'SignalingError';
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly details: { readonly field?: string; readonly peerId?: string; readonly event?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused the connection (bad token, forged peer id, ...); the client does not retry. */
export class SignalingRefusedError extends SignalingError {
  override name = 'SignalingRefusedError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
    field?: string,
  ) {
    super(reason, `signaling server refused the connection (${reason}): ${message}`, field ? { field } : {});
  }
}

export function eventError(error: EventError): SignalingError {
  const details: { field?: string; peerId?: string; event: string } = { event: error.event };
  if (error.field) details.field = error.field;
  if (error.peerId) details.peerId = error.peerId;
  return new SignalingError(error.code, `${error.event}: ${error.message}`, details);
}

/** The refusal carried by a middleware `connect_error`, if it is one. */
export function refusalOf(err: Error & { data?: unknown }): SignalingRefusedError | undefined {
  const data = err.data as { reason?: unknown; message?: unknown; field?: unknown } | undefined;
  if (!data || !(REFUSAL_REASONS as readonly unknown[]).includes(data.reason)) return undefined;
  return new SignalingRefusedError(
    data.reason as RefusalReason,
    typeof data.message === 'string' ? data.message : err.message,
    typeof data.field === 'string' ? data.field : undefined,
  );
}

/** The WebSocket close code in socket.io-client's disconnect details, when the transport closed. */
export function closeCode(details: unknown): number | undefined {
  const context = (details as { context?: { code?: unknown } } | undefined)?.context;
  return typeof context?.code === 'number' ? context.code : undefined;
}
