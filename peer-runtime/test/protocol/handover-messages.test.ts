/** The wire fields of a coordinator handover: `dag:submit.options.resume` and `task:assign`'s `adopt`. */
import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import { errorOf } from './helpers.js';

type Json = Record<string, unknown>;

const submit = (resume: unknown): Json => ({
  type: 'dag:submit',
  runId: 'r',
  dag: {
    format: 'handout-dag',
    version: 1,
    functions: [{ id: 'a', args: [], code: { kind: 'source', source: '() => 1' } }],
  },
  options: { resume },
});

describe('handover messages', () => {
  it('a resubmission carries each function’s attempts and the peer it was running on', () => {
    const m = submit({
      from: 'co-a',
      functions: [
        { id: 'a', attempts: 2, peer: 'p1' },
        { id: 'b', attempts: 1 },
      ],
    });
    expect(validateMessage(m)).toEqual(m);
  });

  it('refuses attempt counts that are negative, fractional or past the bound, naming the field', () => {
    for (const attempts of [-1, 1.5, 1_000_001, '3']) {
      const error = errorOf(submit({ from: 'co-a', functions: [{ id: 'a', attempts }] }));
      expect(error.field).toContain('attempts');
    }
  });

  it('refuses a peer that is not an id, and a resume without its lost coordinator', () => {
    expect(
      errorOf(submit({ from: 'co-a', functions: [{ id: 'a', attempts: 1, peer: '' }] })).field,
    ).toContain('peer');
    expect(errorOf(submit({ functions: [] })).field).toContain('from');
  });

  it('an assignment may be marked adopt, and only with a boolean', () => {
    const assign = (adopt: unknown): Json => ({
      type: 'task:assign',
      runId: 'r1',
      assignments: [
        {
          functionId: 'a',
          hash: 'h',
          attempt: 2,
          spec: { id: 'a', args: [], code: { kind: 'source', source: '() => 1' } },
          inputs: [],
          adopt,
        },
      ],
    });
    expect(validateMessage(assign(true))).toEqual(assign(true));
    expect(errorOf(assign('yes')).field).toContain('adopt');
  });
});
