import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { decodeMessage, encodeMessage, joinParts } from '../../src/protocol/codec.js';
import type { WireMessage } from '../../src/protocol/messages.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import { errorOf } from './helpers.js';

type Json = Record<string, unknown>;

/** A function spec with every optional field set. */
function fullSpec(id: string): Json {
  return {
    id,
    args: ['a', ['b', 1]],
    code: { kind: 'source', source: '(a, b, k) => k' },
    outputs: 2,
    node: { peer: 'p1', platform: 'node', tags: ['fast'], gpu: false },
    cost: { cpu: 1, memoryMB: 64, gpu: false, estimateMs: 5, resources: { licence: 1 } },
    extraArgs: [7, { scale: [1, 'x', null, true] }],
    timeoutMs: 1000,
    retries: 2,
    cache: true,
  };
}

/** The mesh's hot message: a batch carrying assignments (inline inputs and holders), results and a failure. */
function hotBatch(): Json {
  return {
    type: 'batch',
    messages: [
      {
        type: 'task:assign',
        runId: 'run-1',
        assignments: [
          {
            functionId: 'f',
            hash: 'ab'.repeat(32),
            attempt: 1,
            spec: fullSpec('f'),
            inputs: [
              { producer: 'a', hash: 'h-a', holders: ['p1', 'p2'] },
              { producer: 'b', hash: 'h-b', holders: [], inline: Uint8Array.of(1, 2, 3) },
            ],
          },
        ],
      },
      {
        type: 'task:result',
        runId: 'run-1',
        functionId: 'f',
        hash: 'h',
        attempt: 1,
        size: 3,
        durationMs: 0.5,
        inline: Uint8Array.of(9),
      },
      {
        type: 'task:failed',
        runId: 'run-1',
        functionId: 'g',
        hash: 'h-g',
        attempt: 2,
        reason: 'input-lost',
        message: 'gone',
        stack: 'at g',
        missingInput: 'h-a',
      },
    ],
  };
}

function dagSubmit(): Json {
  return {
    type: 'dag:submit',
    runId: 'r',
    dag: {
      format: 'handout-dag',
      version: 1,
      functions: [
        fullSpec('f'),
        { id: 'm', args: [], code: { kind: 'module', module: './m.js', export: 'run' } },
      ],
    },
    options: { strategy: 'locality' },
  };
}

function runDone(): Json {
  return {
    type: 'run:event',
    runId: 'r',
    event: {
      kind: 'run:done',
      status: 'failed',
      startedAt: 1,
      endedAt: 2,
      functions: [{ id: 'f', hash: 'h', status: 'skipped', holders: ['p1'] }],
    },
  };
}

/**
 * Every field below `value` with the path a ProtocolError names it by. Not inside extra args (JSON data, where
 * null is valid) nor inside an `[id, output]` argument pair (the pair as a whole is what gets named).
 */
function fieldPaths(value: unknown, path = '', out: string[] = []): string[] {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return out;
  if (path.endsWith('.extraArgs') || /\.args\[\d+\]$/.test(path)) return out;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v])
    : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v]);
  for (const [p, v] of entries) {
    out.push(p);
    fieldPaths(v, p, out);
  }
  return out;
}

/** A copy of `message` with the field at `path` set to null. */
function withNullAt(message: Json, path: string): Json {
  const copy = structuredClone(message);
  const steps = path.match(/[^.[\]]+/g) ?? [];
  let at: Record<string, unknown> = copy;
  for (const step of steps.slice(0, -1)) at = at[step] as Record<string, unknown>;
  at[steps.at(-1)!] = null;
  return copy;
}

describe('message validation', () => {
  it('returns a valid hot batch unchanged, as fresh objects without fields beyond the protocol', () => {
    const message = hotBatch();
    const withExtras = structuredClone(message) as {
      messages: {
        assignments?: { inputs: { holders?: string[]; zz?: number }[]; zz?: number }[];
        zz?: number;
      }[];
    };
    withExtras.messages[0]!.assignments![0]!.zz = 1;
    withExtras.messages[0]!.assignments![0]!.inputs[0]!.zz = 2;
    withExtras.messages[1]!.zz = 3;
    const before = structuredClone(withExtras);

    const validated = validateMessage(withExtras);

    expect(validated).toEqual(message);
    expect(JSON.stringify(validated)).not.toContain('zz');
    expect(withExtras).toEqual(before);
    if (validated.type !== 'batch' || validated.messages[0]?.type !== 'task:assign') throw new Error('type');
    expect(validated.messages[0].assignments[0]!.inputs[0]!.holders).not.toBe(
      withExtras.messages[0]!.assignments![0]!.inputs[0]!.holders,
    );
  });

  it('keeps optional fields absent when they are absent', () => {
    const spec = { id: 'f', args: [], code: { kind: 'source', source: '() => 1' } };
    const validated = validateMessage({
      type: 'task:assign',
      runId: 'r',
      assignments: [
        { functionId: 'f', hash: 'h', attempt: 0, spec, inputs: [{ producer: 'a', hash: 'h', holders: [] }] },
      ],
    });
    if (validated.type !== 'task:assign') throw new Error('type');
    expect(Object.keys(validated.assignments[0]!.spec)).toEqual(['id', 'args', 'code']);
    expect(Object.keys(validated.assignments[0]!.inputs[0]!)).toEqual(['producer', 'hash', 'holders']);
  });

  it.each([
    ['a batch of assignments, results and failures', hotBatch, 'messages[0].assignments[0].inputs[1].inline'],
    ['a DAG submission', dagSubmit, 'dag.functions[0].cost.resources.licence'],
    ['a run:done event', runDone, 'event.functions[0].holders[0]'],
  ])('names every field of %s by its path when it is null', (_, make, deepest) => {
    const message = make();
    expect(() => validateMessage(message)).not.toThrow();
    const paths = fieldPaths(message);
    expect(paths).toContain(deepest);
    for (const path of paths) {
      const error = errorOf(withNullAt(message, path));
      expect({ path, field: error.field }).toEqual({ path, field: path });
      expect(error.message.startsWith(`field '${path}' `)).toBe(true);
    }
  });

  it('says what a bad nested input field should have been', () => {
    const message = hotBatch();
    const assignment = (bad: Json) => ((bad.messages as Json[])[0]!.assignments as Json[])[0]!;

    const badHash = structuredClone(message);
    assignment(badHash).inputs = [{ producer: 'x.y', hash: '', holders: [] }];
    expect(errorOf(badHash)).toMatchObject({
      field: 'messages[0].assignments[0].inputs[0].hash',
      message: 'field \'messages[0].assignments[0].inputs[0].hash\' must be a non-empty id, got ""',
    });

    const badHolder = structuredClone(message);
    (assignment(badHolder).inputs as { holders: string[] }[])[0]!.holders[1] = '';
    expect(errorOf(badHolder)).toMatchObject({
      field: 'messages[0].assignments[0].inputs[0].holders[1]',
      message: 'field \'messages[0].assignments[0].inputs[0].holders[1]\' must be a non-empty id, got ""',
    });

    const badInline = withNullAt(message, 'messages[0].assignments[0].inputs[1].inline');
    expect(errorOf(badInline).message).toBe(
      "field 'messages[0].assignments[0].inputs[1].inline' must be a byte string (Uint8Array), got null",
    );

    const badInputs = structuredClone(message);
    assignment(badInputs).inputs = { a: { producer: 'a', hash: 'h', holders: [] } };
    expect(errorOf(badInputs).message).toBe(
      "field 'messages[0].assignments[0].inputs' must be an array, got an object",
    );

    // Tickets go one per holder: a list of another length would pair grants with the wrong peers.
    const badTickets = structuredClone(message);
    (assignment(badTickets).inputs as Json[])[0]!.tickets = [{ exp: 1, mac: new Uint8Array(16) }];
    expect(errorOf(badTickets).message).toContain('must have one ticket per holder (2)');
  });

  it('names the culprit deep inside extra args, and refuses data nested too deep', () => {
    const message = hotBatch();
    const spec = ((message.messages as Json[])[0]!.assignments as { spec: Json }[])[0]!.spec;
    spec.extraArgs = [1, { scale: [1, { x: Number.NaN }] }];
    expect(errorOf(message)).toMatchObject({
      field: 'messages[0].assignments[0].spec.extraArgs[1].scale[1].x',
      message:
        "field 'messages[0].assignments[0].spec.extraArgs[1].scale[1].x' must be a finite number, got NaN",
    });
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    spec.extraArgs = [deep];
    expect(errorOf(message).message).toMatch(
      /^field 'messages\[0\]\.assignments\[0\]\.spec\.extraArgs(\[0\]){65}' must be data nested at most 64 levels deep, got an array of 1$/,
    );
    spec.extraArgs = { not: 'an array' };
    expect(errorOf(message).message).toBe(
      "field 'messages[0].assignments[0].spec.extraArgs' must be an array, got an object",
    );
  });

  it('reports the first bad field in checking order when several are bad', () => {
    const message = hotBatch();
    const assignment = ((message.messages as Json[])[0]!.assignments as Json[])[0]!;
    assignment.functionId = '';
    (assignment.spec as Json).id = '';
    (assignment.inputs as Json[])[1]!.hash = '';
    // Fields are checked in the schema's order: the assignment's own, then its spec, then its inputs.
    expect(errorOf(message).field).toBe('messages[0].assignments[0].functionId');
    assignment.functionId = 'f';
    expect(errorOf(message).field).toBe('messages[0].assignments[0].spec.id');
    (assignment.spec as Json).id = 'f';
    expect(errorOf(message).field).toBe('messages[0].assignments[0].inputs[1].hash');
  });

  it('refuses a message type a batch may not carry, naming the inner type field', () => {
    const message = hotBatch();
    (message.messages as Json[]).push({ type: 'hello', version: 1, peerId: 'p' });
    expect(errorOf(message)).toMatchObject({
      field: 'messages[3].type',
      message: `field 'messages[3].type' must be a batchable message type, got "hello"`,
    });
  });

  it('validates the next message normally after refusing one', () => {
    expect(() => validateMessage({ ...hotBatch(), messages: [{ type: 'ping' }] })).toThrow(ProtocolError);
    expect(() => validateMessage({ type: 'nope' })).toThrow(
      /field 'type' must be a known message type, got "nope"/,
    );
    expect(validateMessage(hotBatch())).toEqual(hotBatch());
    expect(() => validateMessage(withNullAt(runDone(), 'event.functions[0].holders[0]'))).toThrow(
      expect.objectContaining({ field: 'event.functions[0].holders[0]' }),
    );
  });

  it('refuses an unknown key in a function spec, naming it with the field it was probably meant to be', () => {
    const message = dagSubmit();
    const functions = (message.dag as { functions: Json[] }).functions;
    functions[1]!.timeout = 500;
    expect(errorOf(message)).toMatchObject({
      field: 'dag.functions[1].timeout',
      message: "field 'dag.functions[1].timeout' is not a function spec field (did you mean 'timeoutMs'?)",
    });
    delete functions[1]!.timeout;
    (functions[0]!.cost as Json).gpus = 1;
    expect(errorOf(message).field).toBe('dag.functions[0].cost.gpus');
  });

  it('takes a peer:quarantined run event and refuses one with a bad field, naming it', () => {
    const message = {
      type: 'run:event',
      runId: 'r',
      event: { kind: 'peer:quarantined', peer: 'liar', reason: 'lied', at: 5 },
    };
    expect(validateMessage(message)).toEqual(message);
    for (const path of fieldPaths(message.event, 'event'))
      expect(errorOf(withNullAt(message, path)).field).toBe(path);
    expect(errorOf({ ...message, event: { ...message.event, peer: '' } }).field).toBe('event.peer');
  });

  it('gives the same error for a bad message whether decoded from the wire or validated directly', () => {
    const message = hotBatch();
    ((message.messages as Json[])[1] as Json).attempt = -1;
    const direct = errorOf(message);
    expect(() => decodeMessage(joinParts(encodeMessage(message as unknown as WireMessage)))).toThrow(
      expect.objectContaining({ field: 'messages[1].attempt', message: direct.message }),
    );
  });
});
