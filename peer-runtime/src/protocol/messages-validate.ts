/**
 * One validator per wire message. `validateMessage(value)` turns a decoded CBOR value into a typed WireMessage
 * or throws a ProtocolError naming the field at fault. Validators build fresh objects, so fields a peer adds
 * beyond the protocol never reach the layers above.
 *
 * Function specs are checked for shape only; the coordinator still runs the DAG validator (dag/validate.ts) on
 * what it receives (cycles, missing dependencies and the like are not a wire concern).
 */
import type { ArgRef, CodeRef, Cost, DagJSON, FunctionSpec, NodeSelector } from '../dag/types.js';
import { ProtocolError } from '../errors.js';
import {
  type BatchableMessage,
  type InputLocation,
  type LinkReport,
  MAX_STATUS_LINKS,
  type MessageOf,
  type RecoveredLocation,
  type SubmitOptions,
  TASK_FAILURE_REASONS,
  type TaskAssignment,
  type WireMessage,
  type WireMessageType,
} from './messages.js';
import { runEvent, wireAttempt } from './run-event-validate.js';
import {
  at,
  bool,
  bytes,
  checkTwice,
  type Fields,
  fail,
  id,
  idList,
  jsonLike,
  list,
  MAX_SOURCE,
  type Mutable,
  num,
  oneOf,
  opt,
  record,
  reject,
  str,
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

// Allowed values as constants: an array literal at the call site would be built again for every item checked.
const CODE_KINDS = ['source', 'module'] as const;
const PLATFORMS = ['node', 'browser'] as const;

function codeRef(value: unknown, field: string): CodeRef {
  const o = record(value, field);
  const kind = oneOf(o.kind, 'kind', CODE_KINDS, field);
  return kind === 'source'
    ? { kind, source: str(o.source, 'source', field, MAX_SOURCE) }
    : { kind, module: str(o.module, 'module', field), export: str(o.export, 'export', field) };
}

// Optional fields below are added by `if` rather than `...(x !== undefined && { x })`: spreading a fresh object
// per field was a visible cost on the hot path. Each keeps its place, so the first bad field is still the one
// reported and the result has the same keys in the same order.

function nodeSelector(v: unknown, key: string, path: string): NodeSelector {
  if (typeof v === 'string') return v;
  const field = at(path, key);
  const s = record(v, field);
  const selector: Mutable<Exclude<NodeSelector, string>> = {};
  if (s.peer !== undefined) selector.peer = id(s.peer, 'peer', field);
  if (s.platform !== undefined) selector.platform = oneOf(s.platform, 'platform', PLATFORMS, field);
  if (s.tags !== undefined) selector.tags = idList(s.tags, 'tags', field, 256);
  if (s.gpu !== undefined) selector.gpu = bool(s.gpu, 'gpu', field);
  return selector;
}

function cost(v: unknown, key: string, path: string): Cost {
  const field = at(path, key);
  const c = record(v, field);
  let resources: Record<string, number> | undefined;
  if (c.resources !== undefined) {
    const resourcesField = at(field, 'resources');
    const r = record(c.resources, resourcesField);
    resources = {};
    for (const name of Object.keys(r)) resources[name] = num(r[name], name, resourcesField);
  }
  const out: Mutable<Cost> = {};
  if (c.cpu !== undefined) out.cpu = num(c.cpu, 'cpu', field);
  if (c.memoryMB !== undefined) out.memoryMB = num(c.memoryMB, 'memoryMB', field);
  if (c.gpu !== undefined) out.gpu = bool(c.gpu, 'gpu', field);
  if (c.estimateMs !== undefined) out.estimateMs = num(c.estimateMs, 'estimateMs', field);
  if (resources) out.resources = resources;
  return out;
}

export function functionSpec(value: unknown, field: string): FunctionSpec {
  const o = record(value, field);
  let extraArgs: unknown[] | undefined;
  if (o.extraArgs !== undefined) {
    const checked = jsonLike(o.extraArgs, at(field, 'extraArgs'));
    if (!Array.isArray(checked)) fail(at(field, 'extraArgs'), 'an array', checked);
    extraArgs = checked;
  }
  const spec: Mutable<FunctionSpec> = {
    id: id(o.id, 'id', field),
    args: list(o.args, 'args', argRef, field),
    code: codeRef(o.code, at(field, 'code')),
  };
  if (o.outputs !== undefined) spec.outputs = uint(o.outputs, 'outputs', field);
  if (o.node !== undefined) spec.node = nodeSelector(o.node, 'node', field);
  if (o.cost !== undefined) spec.cost = cost(o.cost, 'cost', field);
  if (extraArgs !== undefined) spec.extraArgs = extraArgs;
  if (o.timeoutMs !== undefined) spec.timeoutMs = num(o.timeoutMs, 'timeoutMs', field);
  if (o.retries !== undefined) spec.retries = uint(o.retries, 'retries', field);
  if (o.cache !== undefined) spec.cache = bool(o.cache, 'cache', field);
  return spec;
}

function inputLocation(value: unknown, field: string): InputLocation {
  const o = record(value, field);
  const inline = opt(o.inline, 'inline', bytes, field);
  const location: Mutable<InputLocation> = {
    hash: id(o.hash, 'hash', field),
    holders: idList(o.holders, 'holders', field, 1024),
  };
  if (inline) location.inline = inline;
  return location;
}

function assignment(value: unknown, field: string): TaskAssignment {
  const o = record(value, field);
  const inputsField = at(field, 'inputs');
  const raw = record(o.inputs, inputsField);
  const inputs: Record<string, InputLocation> = {};
  for (const producer of Object.keys(raw))
    inputs[producer] = inputLocation(raw[producer], at(inputsField, producer));
  return {
    functionId: id(o.functionId, 'functionId', field),
    hash: id(o.hash, 'hash', field),
    attempt: uint(o.attempt, 'attempt', field),
    spec: functionSpec(o.spec, at(field, 'spec')),
    inputs,
  };
}

const DAG_FORMATS = ['handout-dag'] as const;

function dag(value: unknown, field: string): DagJSON {
  const o = record(value, field);
  oneOf(o.format, 'format', DAG_FORMATS, field);
  if (o.version !== 1) fail(at(field, 'version'), 'the number 1', o.version);
  return {
    format: 'handout-dag',
    version: 1,
    functions: list(o.functions, 'functions', functionSpec, field),
  };
}

function recoveredLocation(value: unknown, field: string): RecoveredLocation {
  const o = record(value, field);
  const location: Mutable<RecoveredLocation> = {
    hash: id(o.hash, 'hash', field),
    size: uint(o.size, 'size', field),
    holders: idList(o.holders, 'holders', field, 1024),
  };
  if (o.inline !== undefined) location.inline = bytes(o.inline, 'inline', field);
  return location;
}

/** A measured link of `peer:status.links`: figures must be finite, the round trip >= 0, the bandwidth > 0. */
function linkReport(value: unknown, field: string): LinkReport {
  const o = record(value, field);
  const link: Mutable<LinkReport> = { peer: id(o.peer, 'peer', field) };
  if (o.rttMs !== undefined) {
    link.rttMs = num(o.rttMs, 'rttMs', field);
    if (link.rttMs < 0) fail(at(field, 'rttMs'), 'a non-negative number', link.rttMs);
  }
  if (o.bytesPerSecond !== undefined) {
    link.bytesPerSecond = num(o.bytesPerSecond, 'bytesPerSecond', field);
    if (link.bytesPerSecond <= 0) fail(at(field, 'bytesPerSecond'), 'a positive number', link.bytesPerSecond);
  }
  return link;
}

/** Message types a batch may not carry: itself (no nesting) and the transport's own handshake and liveness. */
const UNBATCHABLE = new Set<string>(['batch', 'hello', 'ping', 'pong']);

function batched(value: unknown, field: string): BatchableMessage {
  const o = record(value, field);
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type) || UNBATCHABLE.has(type)) {
    reject(at(field, 'type'), `must be a batchable message type, got ${JSON.stringify(type)}`);
  }
  return validators[type as BatchableMessage['type']](o);
}

const ERROR_CODES = ['protocol', 'unsupported', 'refused', 'internal'] as const;

type Validators = { [T in WireMessageType]: (o: Fields) => MessageOf<T> };

const validators: Validators = {
  hello: (o) => ({ type: 'hello', version: uint(o.version, 'version'), peerId: id(o.peerId, 'peerId') }),
  ping: (o) => ({ type: 'ping', nonce: uint(o.nonce, 'nonce'), sentAt: num(o.sentAt, 'sentAt') }),
  pong: (o) => ({ type: 'pong', nonce: uint(o.nonce, 'nonce'), sentAt: num(o.sentAt, 'sentAt') }),
  error: (o) => {
    const field = opt(o.field, 'field', str);
    const message: Mutable<MessageOf<'error'>> = {
      type: 'error',
      code: oneOf(o.code, 'code', ERROR_CODES),
      message: str(o.message, 'message'),
    };
    if (field !== undefined) message.field = field;
    return message;
  },
  'task:assign': (o) => ({
    type: 'task:assign',
    runId: id(o.runId, 'runId'),
    assignments: list(o.assignments, 'assignments', assignment),
  }),
  'task:result': (o) => {
    const inline = opt(o.inline, 'inline', bytes);
    const message: Mutable<MessageOf<'task:result'>> = {
      type: 'task:result',
      runId: id(o.runId, 'runId'),
      functionId: id(o.functionId, 'functionId'),
      hash: id(o.hash, 'hash'),
      attempt: uint(o.attempt, 'attempt'),
      size: uint(o.size, 'size'),
      durationMs: num(o.durationMs, 'durationMs'),
    };
    if (inline) message.inline = inline;
    return message;
  },
  'task:failed': (o) => {
    const stack = opt(o.stack, 'stack', str);
    const missingInput = opt(o.missingInput, 'missingInput', id);
    const message: Mutable<MessageOf<'task:failed'>> = {
      type: 'task:failed',
      runId: id(o.runId, 'runId'),
      functionId: id(o.functionId, 'functionId'),
      hash: id(o.hash, 'hash'),
      attempt: uint(o.attempt, 'attempt'),
      reason: oneOf(o.reason, 'reason', TASK_FAILURE_REASONS),
      message: str(o.message, 'message'),
    };
    if (stack !== undefined) message.stack = stack;
    if (missingInput !== undefined) message.missingInput = missingInput;
    return message;
  },
  'task:cancel': (o) => ({
    type: 'task:cancel',
    runId: id(o.runId, 'runId'),
    functionIds: idList(o.functionIds, 'functionIds'),
    reason: str(o.reason, 'reason'),
  }),
  'result:fetch': (o) => ({
    type: 'result:fetch',
    requestId: uint(o.requestId, 'requestId'),
    hash: id(o.hash, 'hash'),
  }),
  'result:data': (o) => ({
    type: 'result:data',
    requestId: uint(o.requestId, 'requestId'),
    hash: id(o.hash, 'hash'),
    bytes: bytes(o.bytes, 'bytes'),
  }),
  'result:missing': (o) => ({
    type: 'result:missing',
    requestId: uint(o.requestId, 'requestId'),
    hash: id(o.hash, 'hash'),
  }),
  'dag:submit': (o) => {
    const opts = record(o.options, 'options');
    const strategy = opt(opts.strategy, 'strategy', id, 'options');
    const options: Mutable<SubmitOptions> = {};
    if (strategy !== undefined) options.strategy = strategy;
    return { type: 'dag:submit', runId: id(o.runId, 'runId'), dag: dag(o.dag, 'dag'), options };
  },
  'run:cancel': (o) => ({ type: 'run:cancel', runId: id(o.runId, 'runId'), reason: str(o.reason, 'reason') }),
  'run:event': (o) => ({ type: 'run:event', runId: id(o.runId, 'runId'), event: runEvent(o.event, 'event') }),
  'result:recover': (o) => ({
    type: 'result:recover',
    requestId: uint(o.requestId, 'requestId'),
    runId: id(o.runId, 'runId'),
    functionId: id(o.functionId, 'functionId'),
  }),
  'result:recovered': (o) => {
    const message: Mutable<MessageOf<'result:recovered'>> = {
      type: 'result:recovered',
      requestId: uint(o.requestId, 'requestId'),
      runId: id(o.runId, 'runId'),
      functionId: id(o.functionId, 'functionId'),
      attempts: list(o.attempts, 'attempts', wireAttempt, '', 4096),
    };
    if (o.location !== undefined) message.location = recoveredLocation(o.location, 'location');
    if (o.error !== undefined) message.error = str(o.error, 'error');
    // Exactly one of the two: a reply with neither would leave the submitter guessing, both would contradict.
    if ((message.location === undefined) === (message.error === undefined)) {
      reject('location', 'must be present exactly when error is absent');
    }
    return message;
  },
  batch: (o) => ({ type: 'batch', messages: list(o.messages, 'messages', batched) }),
  'peer:status': (o) => {
    const added = opt(o.added, 'added', idList);
    const removed = opt(o.removed, 'removed', idList);
    const message: Mutable<MessageOf<'peer:status'>> = {
      type: 'peer:status',
      running: uint(o.running, 'running'),
      slots: uint(o.slots, 'slots'),
      paused: bool(o.paused, 'paused'),
    };
    if (added) message.added = added;
    if (removed) message.removed = removed;
    if (o.links !== undefined) message.links = list(o.links, 'links', linkReport, '', MAX_STATUS_LINKS);
    return message;
  },
};

/** Checks a decoded value and returns it as a typed message, or throws ProtocolError naming the field at fault. */
export function validateMessage(value: unknown): WireMessage {
  return checkTwice(readMessage, value);
}

function readMessage(value: unknown): WireMessage {
  const o = record(value, 'message');
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    throw new ProtocolError(`unknown message type ${JSON.stringify(type)}`, 'type');
  }
  return validators[type as WireMessageType](o);
}
