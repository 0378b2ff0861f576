import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, joinParts } from '../../src/protocol/codec.js';
import type { WireMessage } from '../../src/protocol/messages.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import { errorOf } from './helpers.js';

type Json = Record<string, unknown>;

const recover = (): Json => ({ type: 'result:recover', requestId: 7, runId: 'r', functionId: 'b' });

const recovered = (): Json => ({
  type: 'result:recovered',
  requestId: 7,
  runId: 'r',
  functionId: 'b',
  location: { hash: 'h-b', size: 3, holders: ['p2'], inline: Uint8Array.of(1, 2, 3) },
  attempts: [
    { id: 'a', attempt: 2, peer: 'p2', startedAt: 10, endedAt: 11 },
    { id: 'b', attempt: 2, peer: 'p2', startedAt: 12, endedAt: 13, error: 'x' },
  ],
});

function set(message: Json, path: readonly (string | number)[], value: unknown): Json {
  const copy = structuredClone(message);
  let at = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

describe('result:recover and result:recovered', () => {
  it('pass validation and the codec unchanged, with optional fields absent when absent', () => {
    expect(validateMessage(recover())).toEqual(recover());
    expect(validateMessage(recovered())).toEqual(recovered());
    const failed = { ...recovered(), location: undefined, error: 'no lineage', attempts: [] };
    delete failed.location;
    const validated = validateMessage(failed);
    expect(validated).toEqual(failed);
    expect(Object.keys(validated)).not.toContain('location');
    const wire = decodeMessage(joinParts(encodeMessage(recovered() as unknown as WireMessage)));
    expect(wire).toEqual(recovered());
  });

  it.each([
    ['result:recover', recover, ['requestId'], -1, "field 'requestId' must be an integer >= 0, got -1"],
    ['result:recover', recover, ['runId'], '', 'field \'runId\' must be a non-empty id, got ""'],
    ['result:recover', recover, ['functionId'], 3, "field 'functionId' must be a non-empty id, got 3"],
    [
      'result:recovered',
      recovered,
      ['location', 'hash'],
      null,
      "field 'location.hash' must be a non-empty id, got null",
    ],
    [
      'result:recovered',
      recovered,
      ['location', 'holders', 0],
      '',
      'field \'location.holders[0]\' must be a non-empty id, got ""',
    ],
    [
      'result:recovered',
      recovered,
      ['location', 'inline'],
      'bytes',
      'field \'location.inline\' must be a byte string (Uint8Array), got "bytes"',
    ],
    [
      'result:recovered',
      recovered,
      ['attempts', 1, 'startedAt'],
      'soon',
      'field \'attempts[1].startedAt\' must be a finite number, got "soon"',
    ],
    ['result:recovered', recovered, ['error'], 5, "field 'error' must be a string, got 5"],
  ])('a malformed %s is refused naming the field (%j)', (_, make, path, value, message) => {
    const bad = set(make(), path, value);
    const error = errorOf(bad);
    expect(error.message).toBe(message);
    // The same from the wire: the codec validates on decode.
    expect(() => decodeMessage(joinParts(encodeMessage(bad as unknown as WireMessage)))).toThrow(
      expect.objectContaining({ message }),
    );
  });

  it('a result:recovered with both or neither of location and error is refused naming location', () => {
    expect(errorOf({ ...recovered(), error: 'also failed' })).toMatchObject({
      field: 'location',
      message: "field 'location' must be present exactly when error is absent",
    });
    const neither = recovered();
    delete neither.location;
    expect(errorOf(neither).field).toBe('location');
  });
});
