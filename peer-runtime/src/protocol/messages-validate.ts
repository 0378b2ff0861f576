/**
 * One validator per wire message. `validateMessage(value)` turns a decoded CBOR value into a typed WireMessage
 * or throws a ProtocolError naming the field at fault. Validators build fresh objects, so fields a peer adds
 * beyond the protocol never reach the layers above.
 *
 * Function specs are checked for shape only; the coordinator still runs the DAG validator (dag/validate.ts) on
 * what it receives (cycles, missing dependencies and the like are not a wire concern).
 */
import type { ArgRef, CodeRef, Cost, DagJSON, FunctionSpec, NodeSelector } from '../dag/types.js';
import { type DagIssue, ProtocolError } from '../errors.js';
import type { FunctionStatus } from '../run/types.js';
import {
  type BatchableMessage,
  type InputLocation,
  TASK_FAILURE_REASONS,
  type TaskAssignment,
  type WireMessage,
  type WireMessageType,
  type WireRunEvent,
} from './messages.js';
import {
  bool,
  bytes,
  type Fields,
  fail,
  id,
  jsonLike,
  list,
  MAX_SOURCE,
  num,
  oneOf,
  opt,
  record,
  str,
  stringItem,
  uint,
} from './validate.js';

function argRef(item: unknown, field: string): ArgRef {
  if (typeof item === 'string' && item.length > 0) return item;
  if (
    Array.isArray(item) &&
    item.length === 2 &&
    typeof item[0] === 'string' &&
    Number.isSafeInteger(item[1])
  ) {
    return [item[0], item[1] as number];
  }
  return fail(field, 'a producer id or a [producerId, outputIndex] pair', item);
}

function codeRef(value: unknown, field: string): CodeRef {
  const o = record(value, field);
  const kind = oneOf(o, 'kind', ['source', 'module'] as const, field);
  return kind === 'source'
    ? { kind, source: str(o, 'source', field, MAX_SOURCE) }
    : { kind, module: str(o, 'module', field), export: str(o, 'export', field) };
}

function nodeSelector(o: Fields, key: string, path: string): NodeSelector {
  const v = o[key];
  const field = `${path}.${key}`;
  if (typeof v === 'string') return v;
  const s = record(v, field);
  return {
    ...(s.peer !== undefined && { peer: id(s, 'peer', field) }),
    ...(s.platform !== undefined && { platform: oneOf(s, 'platform', ['node', 'browser'] as const, field) }),
    ...(s.tags !== undefined && { tags: list(s, 'tags', stringItem, field, 256) }),
    ...(s.gpu !== undefined && { gpu: bool(s, 'gpu', field) }),
  };
}

function cost(o: Fields, key: string, path: string): Cost {
  const field = `${path}.${key}`;
  const c = record(o[key], field);
  let resources: Record<string, number> | undefined;
  if (c.resources !== undefined) {
    const r = record(c.resources, `${field}.resources`);
    resources = {};
    for (const name of Object.keys(r)) resources[name] = num(r, name, `${field}.resources`);
  }
  return {
    ...(c.cpu !== undefined && { cpu: num(c, 'cpu', field) }),
    ...(c.memoryMB !== undefined && { memoryMB: num(c, 'memoryMB', field) }),
    ...(c.gpu !== undefined && { gpu: bool(c, 'gpu', field) }),
    ...(c.estimateMs !== undefined && { estimateMs: num(c, 'estimateMs', field) }),
    ...(resources && { resources }),
  };
}

export function functionSpec(value: unknown, field: string): FunctionSpec {
  const o = record(value, field);
  const extraArgs = o.extraArgs === undefined ? undefined : jsonLike(o.extraArgs, `${field}.extraArgs`);
  if (extraArgs !== undefined && !Array.isArray(extraArgs)) fail(`${field}.extraArgs`, 'an array', extraArgs);
  return {
    id: id(o, 'id', field),
    args: list(o, 'args', argRef, field),
    code: codeRef(o.code, `${field}.code`),
    ...(o.outputs !== undefined && { outputs: uint(o, 'outputs', field) }),
    ...(o.node !== undefined && { node: nodeSelector(o, 'node', field) }),
    ...(o.cost !== undefined && { cost: cost(o, 'cost', field) }),
    ...(extraArgs !== undefined && { extraArgs: extraArgs as unknown[] }),
    ...(o.timeoutMs !== undefined && { timeoutMs: num(o, 'timeoutMs', field) }),
    ...(o.retries !== undefined && { retries: uint(o, 'retries', field) }),
    ...(o.cache !== undefined && { cache: bool(o, 'cache', field) }),
  };
}

function inputLocation(value: unknown, field: string): InputLocation {
  const o = record(value, field);
  const inline = opt(o, 'inline', bytes, field);
  return {
    hash: id(o, 'hash', field),
    holders: list(o, 'holders', stringItem, field, 1024),
    ...(inline && { inline }),
  };
}

function assignment(value: unknown, field: string): TaskAssignment {
  const o = record(value, field);
  const inputsField = `${field}.inputs`;
  const raw = record(o.inputs, inputsField);
  const inputs: Record<string, InputLocation> = {};
  for (const producer of Object.keys(raw))
    inputs[producer] = inputLocation(raw[producer], `${inputsField}.${producer}`);
  return {
    functionId: id(o, 'functionId', field),
    hash: id(o, 'hash', field),
    attempt: uint(o, 'attempt', field),
    spec: functionSpec(o.spec, `${field}.spec`),
    inputs,
  };
}

function dag(value: unknown, field: string): DagJSON {
  const o = record(value, field);
  oneOf(o, 'format', ['handout-dag'] as const, field);
  if (o.version !== 1) fail(`${field}.version`, 'the number 1', o.version);
  return { format: 'handout-dag', version: 1, functions: list(o, 'functions', functionSpec, field) };
}

const FUNCTION_STATUSES: readonly FunctionStatus[] = [
  'pending',
  'queued',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
];

function runEvent(value: unknown, field: string): WireRunEvent {
  const o = record(value, field);
  const kind = oneOf(
    o,
    'kind',
    [
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
    ] as const,
    field,
  );
  switch (kind) {
    case 'task:queued':
      return { kind, id: id(o, 'id', field) };
    case 'task:started':
      return {
        kind,
        id: id(o, 'id', field),
        attempt: uint(o, 'attempt', field),
        peer: id(o, 'peer', field),
        at: num(o, 'at', field),
      };
    case 'task:succeeded':
      return {
        kind,
        id: id(o, 'id', field),
        attempt: uint(o, 'attempt', field),
        peer: id(o, 'peer', field),
        at: num(o, 'at', field),
        cached: bool(o, 'cached', field),
        hash: id(o, 'hash', field),
        size: uint(o, 'size', field),
      };
    case 'task:failed': {
      const stack = opt(o, 'stack', str, field);
      return {
        kind,
        id: id(o, 'id', field),
        attempt: uint(o, 'attempt', field),
        peer: id(o, 'peer', field),
        at: num(o, 'at', field),
        final: bool(o, 'final', field),
        reason: oneOf(o, 'reason', [...TASK_FAILURE_REASONS, 'peer-lost', 'unsatisfiable'] as const, field),
        message: str(o, 'message', field),
        ...(stack !== undefined && { stack }),
      };
    }
    case 'task:retried':
      return {
        kind,
        id: id(o, 'id', field),
        attempt: uint(o, 'attempt', field),
        delayMs: num(o, 'delayMs', field),
      };
    case 'task:skipped':
      return { kind, id: id(o, 'id', field), because: id(o, 'because', field) };
    case 'task:attempt': {
      const endedAt = opt(o, 'endedAt', num, field);
      const error = opt(o, 'error', str, field);
      return {
        kind,
        id: id(o, 'id', field),
        attempt: uint(o, 'attempt', field),
        peer: id(o, 'peer', field),
        startedAt: num(o, 'startedAt', field),
        ...(endedAt !== undefined && { endedAt }),
        ...(error !== undefined && { error }),
      };
    }
    case 'task:waiting':
      return {
        kind,
        id: id(o, 'id', field),
        unmet: str(o, 'unmet', field),
        message: str(o, 'message', field),
      };
    case 'run:rejected': {
      const issues = opt(o, 'issues', (r, k, p) => list(r, k, dagIssue, p), field);
      return { kind, message: str(o, 'message', field), ...(issues && { issues }) };
    }
    case 'run:done':
      return {
        kind,
        status: oneOf(o, 'status', ['running', 'succeeded', 'failed', 'cancelled'] as const, field),
        startedAt: num(o, 'startedAt', field),
        endedAt: num(o, 'endedAt', field),
        functions: list(o, 'functions', (item, f) => {
          const r = record(item, f);
          return {
            id: id(r, 'id', f),
            hash: id(r, 'hash', f),
            status: oneOf(r, 'status', FUNCTION_STATUSES, f),
            holders: list(r, 'holders', stringItem, f, 1024),
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
  const functionId = opt(o, 'functionId', str, field);
  const issueField = opt(o, 'field', str, field);
  const path = opt(o, 'path', (r, k, p) => list(r, k, stringItem, p), field);
  return {
    code: oneOf(o, 'code', ISSUE_CODES, field),
    message: str(o, 'message', field),
    ...(functionId !== undefined && { functionId }),
    ...(issueField !== undefined && { field: issueField }),
    ...(path !== undefined && { path }),
  };
}

/** Message types a batch may not carry: itself (no nesting) and the transport's own handshake and liveness. */
const UNBATCHABLE = new Set<string>(['batch', 'hello', 'ping', 'pong']);

function batched(value: unknown, field: string): BatchableMessage {
  const o = record(value, field);
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type) || UNBATCHABLE.has(type)) {
    throw new ProtocolError(
      `field '${field}.type' must be a batchable message type, got ${JSON.stringify(type)}`,
      `${field}.type`,
    );
  }
  return validators[type as BatchableMessage['type']](o);
}

type Validators = { [T in WireMessageType]: (o: Fields) => Extract<WireMessage, { type: T }> };

const validators: Validators = {
  hello: (o) => ({ type: 'hello', version: uint(o, 'version'), peerId: id(o, 'peerId') }),
  ping: (o) => ({ type: 'ping', nonce: uint(o, 'nonce'), sentAt: num(o, 'sentAt') }),
  pong: (o) => ({ type: 'pong', nonce: uint(o, 'nonce'), sentAt: num(o, 'sentAt') }),
  error: (o) => {
    const field = opt(o, 'field', str);
    return {
      type: 'error',
      code: oneOf(o, 'code', ['protocol', 'unsupported', 'refused', 'internal'] as const),
      message: str(o, 'message'),
      ...(field !== undefined && { field }),
    };
  },
  'task:assign': (o) => ({
    type: 'task:assign',
    runId: id(o, 'runId'),
    assignments: list(o, 'assignments', assignment),
  }),
  'task:result': (o) => {
    const inline = opt(o, 'inline', bytes);
    return {
      type: 'task:result',
      runId: id(o, 'runId'),
      functionId: id(o, 'functionId'),
      hash: id(o, 'hash'),
      attempt: uint(o, 'attempt'),
      size: uint(o, 'size'),
      durationMs: num(o, 'durationMs'),
      ...(inline && { inline }),
    };
  },
  'task:failed': (o) => {
    const stack = opt(o, 'stack', str);
    const missingInput = opt(o, 'missingInput', id);
    return {
      type: 'task:failed',
      runId: id(o, 'runId'),
      functionId: id(o, 'functionId'),
      hash: id(o, 'hash'),
      attempt: uint(o, 'attempt'),
      reason: oneOf(o, 'reason', TASK_FAILURE_REASONS),
      message: str(o, 'message'),
      ...(stack !== undefined && { stack }),
      ...(missingInput !== undefined && { missingInput }),
    };
  },
  'task:cancel': (o) => ({
    type: 'task:cancel',
    runId: id(o, 'runId'),
    functionIds: list(o, 'functionIds', stringItem),
    reason: str(o, 'reason'),
  }),
  'result:fetch': (o) => ({ type: 'result:fetch', requestId: uint(o, 'requestId'), hash: id(o, 'hash') }),
  'result:data': (o) => ({
    type: 'result:data',
    requestId: uint(o, 'requestId'),
    hash: id(o, 'hash'),
    bytes: bytes(o, 'bytes'),
  }),
  'result:missing': (o) => ({ type: 'result:missing', requestId: uint(o, 'requestId'), hash: id(o, 'hash') }),
  'dag:submit': (o) => {
    const opts = record(o.options, 'options');
    const strategy = opt(opts, 'strategy', id, 'options');
    return {
      type: 'dag:submit',
      runId: id(o, 'runId'),
      dag: dag(o.dag, 'dag'),
      options: { ...(strategy !== undefined && { strategy }) },
    };
  },
  'run:cancel': (o) => ({ type: 'run:cancel', runId: id(o, 'runId'), reason: str(o, 'reason') }),
  'run:event': (o) => ({ type: 'run:event', runId: id(o, 'runId'), event: runEvent(o.event, 'event') }),
  batch: (o) => ({ type: 'batch', messages: list(o, 'messages', batched) }),
  'peer:status': (o) => {
    const added = opt(o, 'added', (r, k, p) => list(r, k, stringItem, p));
    const removed = opt(o, 'removed', (r, k, p) => list(r, k, stringItem, p));
    return {
      type: 'peer:status',
      running: uint(o, 'running'),
      slots: uint(o, 'slots'),
      paused: bool(o, 'paused'),
      ...(added && { added }),
      ...(removed && { removed }),
    };
  },
};

/** Checks a decoded value and returns it as a typed message, or throws ProtocolError naming the field at fault. */
export function validateMessage(value: unknown): WireMessage {
  const o = record(value, 'message');
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    throw new ProtocolError(`unknown message type ${JSON.stringify(type)}`, 'type');
  }
  return validators[type as WireMessageType](o);
}
