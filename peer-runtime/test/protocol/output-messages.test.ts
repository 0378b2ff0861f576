import { describe, expect, test } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';
import { OUTPUT_LIMIT_CHARS } from '../../src/run/output.js';

const result = (output: unknown) => ({
  type: 'task:result',
  runId: 'r1',
  functionId: 'f',
  hash: 'h',
  attempt: 1,
  size: 3,
  durationMs: 1,
  // A result of 3 bytes rides inline (a non-inline one must carry its digest, fetch-grants.ts).
  inline: new Uint8Array([1, 2, 3]),
  output,
});

function refusal(value: unknown): ProtocolError {
  try {
    validateMessage(value);
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('the message was accepted');
}

describe('what a function printed, on the wire', () => {
  test('a task:result and a task:failed carry their attempt output; the validator hands back fresh values', () => {
    const lines = [{ level: 'warn', text: 'hi', at: 1 }];
    const m = validateMessage(result({ lines, droppedLines: 2 }));
    expect(m).toEqual(result({ lines, droppedLines: 2 }));
    const failed = validateMessage({
      type: 'task:failed',
      runId: 'r1',
      functionId: 'f',
      hash: 'h',
      attempt: 2,
      reason: 'threw',
      message: 'x',
      output: { lines, droppedLines: 0, extra: 'dropped' },
    });
    expect(failed.type === 'task:failed' && failed.output).toEqual({ lines, droppedLines: 0 });
  });

  test('output over the budget a real worker keeps is refused, naming the field', () => {
    const big = 'z'.repeat(40_000);
    const e = refusal(
      result({
        lines: [
          { level: 'log', text: big, at: 1 },
          { level: 'log', text: big, at: 2 },
        ],
        droppedLines: 0,
      }),
    );
    expect(e.field).toBe('output.lines');
    expect(e.message).toContain(`at most ${OUTPUT_LIMIT_CHARS} characters`);
  });

  test('an unknown level, a missing time or a negative count is refused, naming the field', () => {
    expect(refusal(result({ lines: [{ level: 'shout', text: 'a', at: 1 }], droppedLines: 0 })).field).toBe(
      'output.lines[0].level',
    );
    expect(refusal(result({ lines: [{ level: 'log', text: 'a' }], droppedLines: 0 })).field).toBe(
      'output.lines[0].at',
    );
    expect(refusal(result({ lines: [], droppedLines: -1 })).field).toBe('output.droppedLines');
  });

  test("an attempt's output rides on its task:succeeded run event, checked the same way; an old submitter would strip it", () => {
    const event = (lines: unknown) => ({
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
        size: 1,
        output: { attempt: 1, peer: 'p1', lines, droppedLines: 0 },
      },
    });
    expect(validateMessage(event([{ level: 'info', text: 'ok', at: 5 }]))).toEqual(
      event([{ level: 'info', text: 'ok', at: 5 }]),
    );
    const big = 'q'.repeat(50_000);
    expect(
      refusal(
        event([
          { level: 'log', text: big, at: 1 },
          { level: 'log', text: big, at: 1 },
        ]),
      ).field,
    ).toBe('event.output.lines');
  });
});
