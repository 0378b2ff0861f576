/**
 * Every wire validator against hostile shapes: well-formed CBOR of wrong shapes through the real decoder
 * (codec.ts), and JS values a careless or hostile caller can build (getters, Proxies, swapped prototypes).
 * The only acceptable outcomes are a valid message or a ProtocolError (for signaling: a refused Validation;
 * for DAG validation: a list of issues), never another exception. A hang fails the test by its timeout.
 */
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../../src/dag/types.js';
import { validateDag } from '../../src/dag/validate.js';
import { ProtocolError } from '../../src/errors.js';
import { decodeMessage } from '../../src/protocol/codec.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import {
  validateHandshake,
  validateMeshSnapshot,
  validatePeerUpdate,
  validateSignalTo,
} from '../../src/signaling/validate.js';

const encoder = new Encoder({ useRecords: false, tagUint8Array: false });

/** The wire bytes of `value` as a message with no attachments: [u32 header length][CBOR [value, []]]. */
function wire(value: unknown): Uint8Array {
  const header = encoder.encode([value, []]);
  const out = new Uint8Array(4 + header.byteLength);
  new DataView(out.buffer).setUint32(0, header.byteLength);
  out.set(header, 4);
  return out;
}

/** Outcome of decoding: 'ok', or the name of the error class (only 'ProtocolError' is acceptable). */
function decodeOutcome(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes);
    return 'ok';
  } catch (error) {
    return error instanceof ProtocolError
      ? 'ProtocolError'
      : `${(error as Error).name}: ${(error as Error).message}`;
  }
}

const nasty = fc.constantFrom(
  '',
  '\u0000',
  'a\u0000b',
  '😀'.repeat(40_000),
  'x'.repeat(70_000),
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
);
const key = fc.oneof(
  fc.constantFrom(
    'type',
    'runId',
    'assignments',
    'messages',
    'spec',
    'args',
    'code',
    'kind',
    'inputs',
    'event',
  ),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
  fc.string({ maxLength: 8 }),
);
const TYPES = [
  'batch',
  'task:assign',
  'task:result',
  'dag:submit',
  'run:event',
  'peer:status',
  'result:recovered',
  'hello',
];

/** CBOR-representable values of any shape, biased towards the protocol's own names. */
const { value: cborValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.string({ maxLength: 12 }),
    nasty,
    fc.constantFrom(...TYPES),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));

/** A message-like object: a real type and arbitrary fields, so the validators get past the first check. */
const messageLike = fc
  .record({ type: fc.constantFrom(...TYPES) })
  .chain((head) => fc.dictionary(key, cborValue, { maxKeys: 6 }).map((rest) => ({ ...rest, ...head })));

/** A valid hot batch with one field somewhere replaced by an arbitrary value. */
function validBatch(): Record<string, unknown> {
  return {
    type: 'batch',
    messages: [
      {
        type: 'task:assign',
        runId: 'r',
        assignments: [
          {
            functionId: 'f',
            hash: 'h',
            attempt: 1,
            spec: {
              id: 'f',
              args: ['a'],
              code: { kind: 'source', source: '(a) => a' },
              extraArgs: [1, { k: [2] }],
            },
            inputs: [{ producer: 'a', hash: 'ha', holders: ['p1'], inline: Uint8Array.of(1) }],
          },
        ],
      },
      {
        type: 'task:result',
        runId: 'r',
        functionId: 'f',
        hash: 'h',
        attempt: 1,
        size: 1,
        durationMs: 1,
        digest: new Uint8Array(32),
      },
    ],
  };
}

/** Every container path of `value` (for replacing one part with a hostile value). */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return out;
  for (const [k, v] of Object.entries(value)) {
    const p = [...at, Array.isArray(value) ? Number(k) : k];
    out.push(p);
    paths(v, p, out);
  }
  return out;
}
const BATCH_PATHS = paths(validBatch());

function replaced(path: readonly (string | number)[], by: unknown): unknown {
  const copy = validBatch();
  let at = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
  at[path.at(-1)!] = by;
  return copy;
}

describe('the decoder and validators on hostile input', () => {
  it('well-formed CBOR of any shape decodes to a message or a ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(cborValue, messageLike), (value) => {
        expect(decodeOutcome(wire(value))).toMatch(/^(ok|ProtocolError)$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid batch with any one part replaced by any value decodes or is a ProtocolError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BATCH_PATHS), cborValue, (path, by) => {
        expect(decodeOutcome(wire(replaced(path, by)))).toMatch(/^(ok|ProtocolError)$/);
      }),
      { numRuns: 2000 },
    );
    expect(decodeOutcome(wire(validBatch()))).toBe('ok');
  });

  it('CBOR nested 100,000 levels deep is a ProtocolError, not a stack overflow', () => {
    const depth = 100_000;
    const header = new Uint8Array(depth + 2);
    header[0] = 0x82; // [message, attachmentLengths]
    header.fill(0x81, 1, depth + 1); // arrays of one item, nested
    header[depth + 1] = 0x00;
    const bytes = new Uint8Array(4 + header.byteLength + 1);
    new DataView(bytes.buffer).setUint32(0, header.byteLength + 1);
    bytes.set(header, 4);
    bytes[4 + header.byteLength] = 0x80; // the attachment lengths: []
    expect(decodeOutcome(bytes)).toBe('ProtocolError');
  });

  it('a __proto__ or constructor key from the wire never becomes a prototype or reaches the result', () => {
    const spec = JSON.parse(
      '{"id":"f","args":[],"code":{"kind":"source","source":"() => 1"},"__proto__":{"cache":false}}',
    );
    expect(
      decodeOutcome(
        wire({
          type: 'dag:submit',
          runId: 'r',
          dag: { format: 'handout-dag', version: 1, functions: [spec] },
          options: {},
        }),
      ),
    ).toBe('ProtocolError');
    // Inputs travel as a list of locations naming their producer, so producers called `__proto__` or
    // `constructor` are plain values: they arrive as sent, and no object gains a prototype from them.
    const message = validBatch() as {
      messages: { assignments: { inputs: unknown; spec: { id: string; args: string[] } }[] }[];
    };
    message.messages[0]!.assignments[0]!.inputs = [
      { producer: '__proto__', hash: 'h', holders: [] },
      { producer: 'constructor', hash: 'c', holders: [] },
    ];
    message.messages[0]!.assignments[0]!.spec.args = ['__proto__', 'constructor'];
    message.messages[0]!.assignments[0]!.spec.id = 'hasOwnProperty';
    const decoded = decodeMessage(wire(message)) as unknown as typeof message;
    const got = decoded.messages[0]!.assignments[0]!.inputs as { producer: string }[];
    expect(got.map((l) => l.producer)).toEqual(['__proto__', 'constructor']);
    for (const l of got) expect(Object.getPrototypeOf(l)).toBe(Object.prototype);
    expect(decoded.messages[0]!.assignments[0]!.spec.id).toBe('hasOwnProperty');
    // A NUL (or any control character) in an id is refused, naming the field and the character.
    const nul = validBatch() as { messages: { assignments: { spec: { id: string } }[] }[] };
    nul.messages[0]!.assignments[0]!.spec.id = 'a\u0000b';
    expect(() => decodeMessage(wire(nul))).toThrow(
      expect.objectContaining({
        field: 'messages[0].assignments[0].spec.id',
        message: expect.stringContaining('control characters (U+0000 at index 1)'),
      }),
    );
  });

  it('JS values with getters, Proxies and swapped prototypes are refused with a ProtocolError', () => {
    const throwing = Object.defineProperty({ type: 'task:result' }, 'runId', {
      enumerable: true,
      get() {
        throw new RangeError('boom');
      },
    });
    const proxy = new Proxy(
      { type: 'ping' },
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    const swapped = Object.setPrototypeOf({ type: 'ping' }, { nonce: 1, sentAt: 1 });
    for (const value of [throwing, proxy, swapped, [], [{ type: 'ping' }], 'ping', 7n]) {
      expect(() => validateMessage(value)).toThrow(ProtocolError);
    }
  });
});

describe('signaling and DAG validators on hostile input', () => {
  const signalingValidators = [validateHandshake, validatePeerUpdate, validateSignalTo, validateMeshSnapshot];

  it('refuse any shape with a ProtocolError, never throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(cborValue, messageLike),
        fc.constantFrom(...signalingValidators),
        (value, validate) => {
          const result = validate(value);
          if (!result.ok) expect(result.error).toBeInstanceOf(ProtocolError);
        },
      ),
      { numRuns: 1000 },
    );
    const getter = Object.defineProperty({}, 'to', {
      enumerable: true,
      get: () => {
        throw new Error('x');
      },
    });
    for (const validate of signalingValidators) {
      for (const value of [
        getter,
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error('y');
            },
          },
        ),
        [],
        null,
      ]) {
        const result = validate(value);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toBeInstanceOf(ProtocolError);
      }
    }
    const nul = validateSignalTo({ to: 'peer\u0000b', data: { type: 'offer', sdp: 'v=0' } });
    expect(nul.ok || nul.error.field).toBe('to');
  });

  it('DAG validation reports issues for any shape, getters included, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(cborValue, fc.array(fc.dictionary(key, cborValue))), (value) => {
        const issues = validateDag(value as FunctionSpec[]);
        for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
    const spec = Object.defineProperty({ args: [], code: { kind: 'source', source: '() => 1' } }, 'id', {
      enumerable: true,
      get() {
        throw new Error('no id for you');
      },
    });
    const issues = validateDag([spec as unknown as FunctionSpec]);
    expect(issues.map((i) => i.message)).toEqual(['functions[0]: the spec could not be read: Error']);
  });
});
