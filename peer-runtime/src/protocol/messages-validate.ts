/**
 * One schema per wire message (the validation kit, ../schema). `validateMessage(value)` turns a decoded CBOR
 * value into a typed WireMessage or throws a ProtocolError naming the field at fault. Results are fresh objects,
 * so fields a peer adds beyond the protocol never reach the layers above; function specs are the exception,
 * refused for an unknown key as everywhere else (their one definition is dag/validate-spec.ts).
 *
 * Function specs are checked for shape only; the coordinator still runs the DAG validator (dag/validate.ts) on
 * what it receives (cycles, missing dependencies, code that cannot travel are not a wire concern).
 */
import { dagJsonSchema, functionSpecSchema } from '../dag/validate-spec.js';
import { OUTPUT_LIMIT_LINES } from '../run/output.js';
import {
  bytes,
  choice,
  type Fields,
  list,
  number,
  object,
  optional,
  Reader,
  readOrThrow,
  refine,
  type Schema,
  variant,
} from '../schema/index.js';
import {
  type BatchableMessage,
  type InputLocation,
  type LinkReport,
  MAX_STATUS_LINKS,
  type MessageOf,
  type RecoveredLocation,
  type ResumedFunction,
  type RunResume,
  TASK_FAILURE_REASONS,
  type TaskAssignment,
  type UnreachableHolder,
  type WireMessage,
  type WireMessageType,
} from './messages.js';
import { fetchedInput, runEvent, wireAttempt } from './run-event-validate.js';
import {
  attemptPhases,
  digest,
  finite,
  flag,
  functionOutput,
  id,
  idList,
  MAX_ARRAY,
  outputLine,
  protocolError,
  receipt,
  text,
  ticket,
  uint,
  withinOutputBudget,
} from './validate.js';

/** Tickets, when given, go one per holder: a list of another length would pair grants with the wrong peers. */
const ticketsMatchHolders = <T extends { holders: readonly string[]; tickets?: readonly unknown[] }>(
  loc: T,
) =>
  loc.tickets !== undefined && loc.tickets.length !== loc.holders.length
    ? { key: 'tickets', complaint: `must have one ticket per holder (${loc.holders.length})` }
    : undefined;

/** The schema of one message type: its `type` field and the fields below. */
function message<T extends WireMessageType>(
  type: T,
  fields: Omit<Fields<MessageOf<T>>, 'type'>,
): Schema<MessageOf<T>> {
  return object<MessageOf<T>>({ type: choice([type]), ...fields } as unknown as Fields<MessageOf<T>>);
}

const inputLocation = refine(
  object<InputLocation>({
    producer: id,
    hash: id,
    holders: idList(1024),
    inline: optional(bytes()),
    digest: optional(digest),
    tickets: optional(list(ticket, { max: 1024 })),
  }),
  ticketsMatchHolders,
);

const assignment = object<TaskAssignment>({
  functionId: id,
  hash: id,
  attempt: uint,
  spec: functionSpecSchema,
  inputs: list(inputLocation, { max: MAX_ARRAY }),
  adopt: optional(flag),
});

/** What a moved run carries (SubmitOptions.resume); the coordinator checks the ids against the DAG. */
const runResume = object<RunResume>({
  from: id,
  functions: list(
    object<ResumedFunction>({
      id,
      // A bound, so a counter cannot overflow the coordinator's Int32Array of attempts.
      attempts: number({ integer: true, min: 0, max: 1_000_000 }),
      peer: optional(id),
    }),
    { max: MAX_ARRAY },
  ),
});

const recoveredLocation = refine(
  object<RecoveredLocation>({
    hash: id,
    size: uint,
    holders: idList(1024),
    inline: optional(bytes()),
    digest: optional(digest),
    tickets: optional(list(ticket, { max: 1024 })),
  }),
  ticketsMatchHolders,
);

/** A measured link of `peer:status.links`: figures must be finite, the round trip >= 0, the bandwidth > 0. */
const linkReport = object<LinkReport>({
  peer: id,
  rttMs: optional(number({ min: 0 })),
  bytesPerSecond: optional(number({ above: 0 })),
});

type Cases<T extends WireMessageType> = { readonly [K in T]: Schema<MessageOf<K>> };

/** Every message a batch may carry: not itself (no nesting), nor the transport's own handshake and liveness. */
/** A hex sha-256, as result digests travel. */
/** Shape only; coordinator/verify-quorum.ts `verifyPolicy` checks the ranges and names the field at fault. */
const verifyOptions = object({
  replicas: number({ integer: true, min: 1 }),
  quorum: optional(number({ integer: true, min: 1 })),
  maxReplicas: optional(number({ integer: true, min: 1 })),
  spotCheckRate: optional(number({ min: 0, max: 1 })),
  trustAfter: optional(number({ integer: true, min: 1 })),
});

const batchable: Cases<BatchableMessage['type']> = {
  error: message('error', {
    code: choice(['protocol', 'unsupported', 'refused', 'internal']),
    message: text,
    field: optional(text),
    kind: optional(id),
    missing: optional(id),
  }),
  'task:assign': message('task:assign', {
    runId: id,
    assignments: list(assignment, { max: MAX_ARRAY }),
    streamOutput: optional(flag),
  }),
  'task:result': refine(
    message('task:result', {
      runId: id,
      functionId: id,
      hash: id,
      attempt: uint,
      size: uint,
      digest: optional(digest),
      durationMs: finite,
      inline: optional(bytes()),
      fetchedFrom: optional(list(fetchedInput, { max: 64 })),
      output: optional(functionOutput),
      phases: optional(attemptPhases),
    }),
    (m) =>
      m.digest === undefined && m.inline === undefined
        ? { key: 'digest', complaint: 'is required when the result is not inline' }
        : undefined,
  ),
  'task:failed': message('task:failed', {
    runId: id,
    functionId: id,
    hash: id,
    attempt: uint,
    reason: choice(TASK_FAILURE_REASONS),
    message: text,
    stack: optional(text),
    missingInput: optional(id),
    fetchedFrom: optional(list(fetchedInput, { max: 64 })),
    unreachable: optional(
      list(
        object<UnreachableHolder>({
          peer: id,
          failure: choice(['ice-failed', 'timeout', 'signaling', 'channel', 'unreachable']),
        }),
        { max: 64 },
      ),
    ),
    output: optional(functionOutput),
    phases: optional(attemptPhases),
  }),
  'task:output': withinOutputBudget(
    message('task:output', {
      runId: id,
      functionId: id,
      hash: id,
      attempt: uint,
      lines: list(outputLine, { max: OUTPUT_LIMIT_LINES }),
      droppedLines: uint,
    }),
  ),
  'task:cancel': message('task:cancel', { runId: id, functionIds: idList(), reason: text }),
  'result:fetch': message('result:fetch', { requestId: uint, hash: id, ticket: optional(ticket) }),
  'result:data': message('result:data', { requestId: uint, hash: id, bytes: bytes() }),
  'result:missing': message('result:missing', { requestId: uint, hash: id }),
  'dag:submit': message('dag:submit', {
    runId: id,
    dag: dagJsonSchema,
    options: object({
      strategy: optional(id),
      verify: optional(verifyOptions),
      resume: optional(runResume),
      streamOutput: optional(flag),
    }),
  }),
  'run:cancel': message('run:cancel', { runId: id, reason: text }),
  'run:event': message('run:event', { runId: id, event: runEvent }),
  'result:recover': message('result:recover', { requestId: uint, runId: id, functionId: id }),
  'result:recovered': refine(
    message('result:recovered', {
      requestId: uint,
      runId: id,
      functionId: id,
      location: optional(recoveredLocation),
      error: optional(text),
      attempts: list(wireAttempt, { max: 4096 }),
    }),
    // Exactly one of the two: a reply with neither would leave the submitter guessing, both would contradict.
    (m) =>
      (m.location === undefined) === (m.error === undefined)
        ? { key: 'location', complaint: 'must be present exactly when error is absent' }
        : undefined,
  ),
  'peer:status': message('peer:status', {
    running: uint,
    slots: uint,
    paused: flag,
    added: optional(idList()),
    removed: optional(idList()),
    receipts: optional(list(receipt, { max: MAX_ARRAY })),
    links: optional(list(linkReport, { max: MAX_STATUS_LINKS })),
  }),
  'result:receipts': message('result:receipts', { receipts: list(receipt, { max: MAX_ARRAY }) }),
};

const cases: Cases<WireMessageType> = {
  ...batchable,
  hello: message('hello', { version: uint, peerId: id }),
  ping: message('ping', { nonce: uint, sentAt: finite }),
  pong: message('pong', { nonce: uint, sentAt: finite }),
  batch: message('batch', {
    messages: list(
      variant<BatchableMessage>('type', batchable, 'a batchable message type', 'a message object'),
      { max: MAX_ARRAY },
    ),
  }),
};

const wireMessage = variant<WireMessage>('type', cases, 'a known message type', 'a message object');

/** One reader for every message: validation never re-enters itself, and a reused reader allocates nothing. */
const reader = new Reader(false);

/** Checks a decoded value and returns it as a typed message, or throws ProtocolError naming the field at fault. */
export function validateMessage(value: unknown): WireMessage {
  return readOrThrow(wireMessage, value, protocolError, reader);
}
