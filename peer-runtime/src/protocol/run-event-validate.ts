/**
 * Schemas of what a coordinator tells a remote submitter about a run: run events (`run:event`), the DAG issues
 * of a rejected run, and attempt histories (`task:attempt`, `result:recovered`). Split from
 * messages-validate.ts, which keeps one schema per message type.
 */
import type { DagIssue } from '../errors.js';
import { OUTPUT_LIMIT_LINES } from '../run/output.js';
import type { FunctionStatus, FunctionVerification, VerificationOutcome } from '../run/types.js';
import {
  choice,
  type Fields,
  list,
  number,
  object,
  optional,
  type Schema,
  string,
  variant,
} from '../schema/index.js';
import {
  type FetchedInput,
  TASK_FAILURE_REASONS,
  type WireAttempt,
  type WireAttemptOutput,
  type WireRunEvent,
} from './messages.js';
import {
  attemptPhases,
  digest,
  finite,
  flag,
  id,
  idList,
  MAX_ARRAY,
  outputLine,
  text,
  ticket,
  uint,
  withinOutputBudget,
} from './validate.js';

const FUNCTION_STATUSES: readonly FunctionStatus[] = [
  'pending',
  'queued',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
];
const EVENT_FAILURE_REASONS = [...TASK_FAILURE_REASONS, 'peer-lost', 'unsatisfiable', 'unverified'] as const;
const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

const ISSUE_CODES: readonly DagIssue['code'][] = [
  'duplicate-id',
  'missing-dependency',
  'cycle',
  'output-index',
  'code',
  'cost',
  'timeout',
  'retries',
  'shape',
];

type Kind = WireRunEvent['kind'];
type EventOf<K extends Kind> = Extract<WireRunEvent, { kind: K }>;

/** The schema of one event kind: its `kind` field and the fields below. */
function event<K extends Kind>(kind: K, fields: Omit<Fields<EventOf<K>>, 'kind'>): Schema<EventOf<K>> {
  return object<EventOf<K>>({ kind: choice([kind]), ...fields } as unknown as Fields<EventOf<K>>);
}

/** `describeLinkPath`'s text (`relay/udp via tcp`), or `unknown`. */
export const linkText = string({
  max: 40,
  pattern: /^((host|srflx|prflx|relay)\/(udp|tcp)( via (udp|tcp|tls))?|unknown)$/,
  name: 'a link type (host/udp, relay/udp, ...)',
});
export const fetchedInput = object<FetchedInput>({
  peer: id,
  link: linkText,
  rttMs: optional(number({ min: 0 })),
  bytesPerSecond: optional(number({ above: 0 })),
});

/** The fields every per-attempt event starts with, in checking order. */
const attemptAt = { id, attempt: uint, peer: id, at: finite };

/** One history entry of a `result:recovered` reply (and, with its kind, a `task:attempt` event). */
const attemptFields = {
  id,
  attempt: uint,
  peer: id,
  startedAt: finite,
  endedAt: optional(finite),
  error: optional(text),
  link: optional(linkText),
  fetchedFrom: optional(list(fetchedInput, { max: 64 })),
};
export const wireAttempt = object<WireAttempt>(attemptFields);

/** What an attempt printed, on its end event: at most the budget a real worker keeps, else refused. */
const attemptOutput: Schema<WireAttemptOutput> = withinOutputBudget(
  object<WireAttemptOutput>({
    attempt: uint,
    peer: id,
    lines: list(outputLine, { max: OUTPUT_LIMIT_LINES }),
    droppedLines: uint,
  }),
);

const VERIFICATION_OUTCOMES: readonly VerificationOutcome[] = [
  'agreed',
  'disputed',
  'unverified',
  'trusted-peer',
  'cached',
];

/** A verified function's outcome: peers named at most 16 to a list (coordinator/verify-record.ts). */
export const functionVerification = object<FunctionVerification>({
  outcome: choice(VERIFICATION_OUTCOMES),
  replicas: number({ integer: true, min: 1, max: 16 }),
  quorum: number({ integer: true, min: 1, max: 16 }),
  agreed: idList(16),
  disagreed: idList(16),
  digest: optional(string({ max: 64, pattern: /^[0-9a-f]{64}$/, name: 'a hex sha-256' })),
});

const dagIssue = object<DagIssue>({
  code: choice(ISSUE_CODES),
  functionId: optional(text),
  field: optional(text),
  message: text,
  path: optional(idList()),
});

const cases: { readonly [K in Kind]: Schema<EventOf<K>> } = {
  'task:queued': event('task:queued', { id }),
  'task:started': event('task:started', attemptAt),
  'task:succeeded': event('task:succeeded', {
    ...attemptAt,
    cached: flag,
    hash: id,
    size: uint,
    digest: optional(digest),
    ticket: optional(ticket),
    output: optional(attemptOutput),
    phases: optional(attemptPhases),
    verification: optional(functionVerification),
  }),
  'task:failed': event('task:failed', {
    ...attemptAt,
    final: flag,
    reason: choice(EVENT_FAILURE_REASONS),
    message: text,
    stack: optional(text),
    output: optional(attemptOutput),
    phases: optional(attemptPhases),
    verification: optional(functionVerification),
  }),
  'task:retried': event('task:retried', { id, attempt: uint, delayMs: finite }),
  'peer:quarantined': event('peer:quarantined', { peer: id, reason: text, at: finite }),
  'task:output': withinOutputBudget(
    event('task:output', {
      id,
      attempt: uint,
      peer: id,
      lines: list(outputLine, { max: OUTPUT_LIMIT_LINES }),
      droppedLines: uint,
    }),
  ),
  'task:skipped': event('task:skipped', { id, because: id }),
  'task:attempt': event('task:attempt', {
    ...attemptFields,
    verification: optional(functionVerification),
  }),
  'task:waiting': event('task:waiting', { id, unmet: text, message: text }),
  'run:rejected': event('run:rejected', {
    message: text,
    issues: optional(list(dagIssue, { max: MAX_ARRAY })),
  }),
  'run:done': event('run:done', {
    status: choice(RUN_STATUSES),
    startedAt: finite,
    endedAt: finite,
    functions: list(
      object<EventOf<'run:done'>['functions'][number]>({
        id,
        hash: id,
        status: choice(FUNCTION_STATUSES),
        holders: idList(1024),
        digest: optional(digest),
        tickets: optional(list(ticket, { max: 1024 })),
      }),
      { max: MAX_ARRAY },
    ),
  }),
};

export const runEvent: Schema<WireRunEvent> = variant<WireRunEvent>(
  'kind',
  cases,
  'a known run event kind',
  'a run event object',
);
