/**
 * The verification outcome on the wire (run-event-validate.ts `functionVerification`) and a function's own
 * `verify` policy in a DAG spec (dag/validate-spec.ts): what passes, what is refused, naming the field.
 */
import { describe, expect, test } from 'vitest';
import { validateDag } from '../../src/dag/validate.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import type { FunctionVerification } from '../../src/run/types.js';
import { errorOf } from './helpers.js';

const DIGEST = 'ab'.repeat(32);
const agreed: FunctionVerification = {
  outcome: 'agreed',
  replicas: 2,
  quorum: 2,
  agreed: ['p1', 'p2'],
  disagreed: [],
  digest: DIGEST,
};

const succeeded = (verification: unknown) => ({
  type: 'run:event',
  runId: 'r1',
  event: {
    kind: 'task:succeeded',
    id: 'f',
    attempt: 1,
    peer: 'p1',
    at: 1,
    cached: false,
    hash: 'h',
    size: 3,
    verification,
  },
});

const failed = (verification: unknown) => ({
  type: 'run:event',
  runId: 'r1',
  event: {
    kind: 'task:failed',
    id: 'f',
    attempt: 3,
    peer: 'p1',
    at: 1,
    final: true,
    reason: 'unverified',
    message: 'no 2 of 2 answers agreed',
    verification,
  },
});

const revised = (verification: unknown) => ({
  type: 'run:event',
  runId: 'r1',
  event: {
    kind: 'task:attempt',
    id: 'f',
    attempt: 1,
    peer: 'liar',
    startedAt: 1,
    endedAt: 2,
    error: 'disagreed (after the quorum): its result digest 0123456789ab lost to abababababab',
    verification,
  },
});

describe('a verification outcome on run events', () => {
  test('a task:attempt carries the revised record of a late disagreement, checked like the others', () => {
    const disputed = { ...agreed, outcome: 'disputed', disagreed: ['liar'] };
    const m = validateMessage(revised(disputed));
    expect(m.type === 'run:event' && m.event.kind === 'task:attempt' && m.event.verification).toEqual(
      disputed,
    );
    expect(errorOf(revised({ ...disputed, outcome: 'late' })).field).toBe('event.verification.outcome');
    expect(errorOf(revised({ ...disputed, disagreed: [1] })).field).toMatch(
      /^event\.verification\.disagreed/,
    );
  });

  test('task:succeeded and task:failed carry it; unknown keys are dropped', () => {
    const m = validateMessage(succeeded({ ...agreed, extra: 1 }));
    expect(m.type === 'run:event' && m.event.kind === 'task:succeeded' && m.event.verification).toEqual(
      agreed,
    );
    const unverified = { outcome: 'unverified', replicas: 2, quorum: 2, agreed: [], disagreed: ['p1', 'p2'] };
    const f = validateMessage(failed(unverified));
    expect(f.type === 'run:event' && f.event.kind === 'task:failed' && f.event.verification).toEqual(
      unverified,
    );
    for (const outcome of ['disputed', 'trusted-peer', 'cached'])
      expect(() => validateMessage(succeeded({ ...agreed, outcome }))).not.toThrow();
  });

  test('a bad outcome, count, peer list or digest is refused, naming the field', () => {
    expect(errorOf(succeeded({ ...agreed, outcome: 'believed' })).field).toBe('event.verification.outcome');
    expect(errorOf(succeeded({ ...agreed, replicas: 0 })).field).toBe('event.verification.replicas');
    expect(errorOf(succeeded({ ...agreed, quorum: 17 })).field).toBe('event.verification.quorum');
    expect(errorOf(succeeded({ ...agreed, agreed: 'p1' })).field).toBe('event.verification.agreed');
    const many = Array.from({ length: 17 }, (_, k) => `p${k}`);
    expect(errorOf(succeeded({ ...agreed, disagreed: many })).field).toBe('event.verification.disagreed');
    expect(errorOf(succeeded({ ...agreed, digest: 'XYZ' })).field).toBe('event.verification.digest');
    const { outcome: _, ...noOutcome } = agreed;
    expect(errorOf(succeeded(noOutcome)).field).toBe('event.verification.outcome');
  });
});

describe("a function's verify policy in the DAG spec", () => {
  const spec = (verify: unknown) => [
    { id: 'a', args: [], code: { kind: 'source', source: '() => 1' }, verify },
  ];

  test('false and a policy pass', () => {
    expect(validateDag(spec(false) as never)).toEqual([]);
    expect(validateDag(spec({ replicas: 3 }) as never)).toEqual([]);
    expect(
      validateDag(
        spec({ replicas: 2, quorum: 2, maxReplicas: 4, spotCheckRate: 0.5, trustAfter: 10 }) as never,
      ),
    ).toEqual([]);
  });

  test('true, a bad field or an unknown key is refused, naming it', () => {
    const fields = (verify: unknown) =>
      validateDag(spec(verify) as never).map((i) => `${i.field}: ${i.message}`);
    expect(fields(true).join('\n')).toMatch(/^verify: .*verify must be false, got true/);
    expect(fields({ replicas: 0 }).join('\n')).toMatch(/^verify\.replicas: .*from 1 to 16/);
    expect(fields({ replicas: 2, quorum: 1 }).join('\n')).toMatch(/^verify\.quorum: .*from 2 to 16/);
    expect(fields({ replicas: 2, spotCheckRate: 2 }).join('\n')).toMatch(/^verify\.spotCheckRate/);
    expect(fields({ replicas: 2, replica: 3 }).join('\n')).toMatch(/verify\.replica\b/);
    expect(fields({}).join('\n')).toMatch(/^verify\.replicas/);
  });
});
