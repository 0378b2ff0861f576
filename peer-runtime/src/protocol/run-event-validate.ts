/**
 * Validators of what a coordinator tells a remote submitter about a run: run events (`run:event`), the DAG
 * issues of a rejected run, and attempt histories (`task:attempt`, `result:recovered`). Split from
 * messages-validate.ts, which keeps one validator per message type; same style (fields read as values, paths
 * built only on failure, optional fields added by `if`).
 */
import type { DagIssue } from '../errors.js';
import type { FunctionStatus } from '../run/types.js';
import { TASK_FAILURE_REASONS, type WireAttempt, type WireRunEvent } from './messages.js';
import {
  bool,
  type Fields,
  id,
  idList,
  list,
  type Mutable,
  num,
  oneOf,
  opt,
  record,
  str,
  uint,
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

const EVENT_KINDS = [
  'task:queued',
  'task:started',
  'task:succeeded',
  'task:failed',
  'task:retried',
  'task:skipped',
  'task:attempt',
  'task:waiting',
  'run:rejected',
  'run:done',
] as const;
const EVENT_FAILURE_REASONS = [...TASK_FAILURE_REASONS, 'peer-lost', 'unsatisfiable'] as const;
const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

type EventOf<K extends WireRunEvent['kind']> = Mutable<Extract<WireRunEvent, { kind: K }>>;

/** The fields every per-attempt event starts with, in checking order. */
function attemptAt(o: Fields, field: string): { id: string; attempt: number; peer: string; at: number } {
  return {
    id: id(o.id, 'id', field),
    attempt: uint(o.attempt, 'attempt', field),
    peer: id(o.peer, 'peer', field),
    at: num(o.at, 'at', field),
  };
}

export function runEvent(value: unknown, field: string): WireRunEvent {
  const o = record(value, field);
  const kind = oneOf(o.kind, 'kind', EVENT_KINDS, field);
  switch (kind) {
    case 'task:queued':
      return { kind, id: id(o.id, 'id', field) };
    case 'task:started':
      return { kind, ...attemptAt(o, field) };
    case 'task:succeeded':
      return {
        kind,
        ...attemptAt(o, field),
        cached: bool(o.cached, 'cached', field),
        hash: id(o.hash, 'hash', field),
        size: uint(o.size, 'size', field),
      };
    case 'task:failed': {
      const stack = opt(o.stack, 'stack', str, field);
      const event: EventOf<'task:failed'> = {
        kind,
        ...attemptAt(o, field),
        final: bool(o.final, 'final', field),
        reason: oneOf(o.reason, 'reason', EVENT_FAILURE_REASONS, field),
        message: str(o.message, 'message', field),
      };
      if (stack !== undefined) event.stack = stack;
      return event;
    }
    case 'task:retried':
      return {
        kind,
        id: id(o.id, 'id', field),
        attempt: uint(o.attempt, 'attempt', field),
        delayMs: num(o.delayMs, 'delayMs', field),
      };
    case 'task:skipped':
      return { kind, id: id(o.id, 'id', field), because: id(o.because, 'because', field) };
    case 'task:attempt':
      return { kind, ...wireAttempt(o, field) };
    case 'task:waiting':
      return {
        kind,
        id: id(o.id, 'id', field),
        unmet: str(o.unmet, 'unmet', field),
        message: str(o.message, 'message', field),
      };
    case 'run:rejected': {
      const issues = opt(o.issues, 'issues', (v, k, p) => list(v, k, dagIssue, p), field);
      const event: EventOf<'run:rejected'> = { kind, message: str(o.message, 'message', field) };
      if (issues) event.issues = issues;
      return event;
    }
    case 'run:done':
      return {
        kind,
        status: oneOf(o.status, 'status', RUN_STATUSES, field),
        startedAt: num(o.startedAt, 'startedAt', field),
        endedAt: num(o.endedAt, 'endedAt', field),
        functions: list(o.functions, 'functions', (item, f) => {
          const r = record(item, f);
          return {
            id: id(r.id, 'id', f),
            hash: id(r.hash, 'hash', f),
            status: oneOf(r.status, 'status', FUNCTION_STATUSES, f),
            holders: idList(r.holders, 'holders', f, 1024),
          };
        }),
      };
  }
}

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

function dagIssue(value: unknown, field: string): DagIssue {
  const o = record(value, field);
  const functionId = opt(o.functionId, 'functionId', str, field);
  const issueField = opt(o.field, 'field', str, field);
  const path = opt(o.path, 'path', idList, field);
  const issue: Mutable<DagIssue> = {
    code: oneOf(o.code, 'code', ISSUE_CODES, field),
    message: str(o.message, 'message', field),
  };
  if (functionId !== undefined) issue.functionId = functionId;
  if (issueField !== undefined) issue.field = issueField;
  if (path !== undefined) issue.path = path;
  return issue;
}

/** One history entry of a `result:recovered` reply (and of a `task:attempt` event). */
export function wireAttempt(value: unknown, field: string): WireAttempt {
  const o = record(value, field);
  const attempt: Mutable<WireAttempt> = {
    id: id(o.id, 'id', field),
    attempt: uint(o.attempt, 'attempt', field),
    peer: id(o.peer, 'peer', field),
    startedAt: num(o.startedAt, 'startedAt', field),
  };
  if (o.endedAt !== undefined) attempt.endedAt = num(o.endedAt, 'endedAt', field);
  if (o.error !== undefined) attempt.error = str(o.error, 'error', field);
  return attempt;
}
