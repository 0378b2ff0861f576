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

  test('a task:output piece is checked like an outcome output: within the budget, every line well-formed', () => {
    const piece = (lines: unknown, droppedLines: unknown = 0) => ({
      type: 'task:output',
      runId: 'r1',
      functionId: 'f',
      hash: 'h',
      attempt: 1,
      lines,
      droppedLines,
    });
    const lines = [{ level: 'log', text: 'step', at: 3 }];
    expect(validateMessage(piece(lines))).toEqual(piece(lines));
    const big = 'w'.repeat(40_000);
    const over = [
      { level: 'log', text: big, at: 1 },
      { level: 'log', text: big, at: 2 },
    ];
    expect(refusal(piece(over)).field).toBe('lines');
    expect(refusal(piece([{ level: 'log', text: 1, at: 1 }])).field).toBe('lines[0].text');
    expect(refusal(piece(lines, -3)).field).toBe('droppedLines');
    const { hash: _h, ...noHash } = piece(lines);
    expect(refusal(noHash).field).toBe('hash');
  });

  test('the streamOutput opt-ins travel on task:assign and dag:submit, and a task:output run event is checked too', () => {
    const assign = validateMessage({ type: 'task:assign', runId: 'r1', assignments: [], streamOutput: true });
    expect(assign.type === 'task:assign' && assign.streamOutput).toBe(true);
    const submit = validateMessage({
      type: 'dag:submit',
      runId: 'r1',
      dag: { format: 'handout-dag', version: 1, functions: [] },
      options: { streamOutput: true },
    });
    expect(submit.type === 'dag:submit' && submit.options.streamOutput).toBe(true);
    const event = (lines: unknown) => ({
      type: 'run:event',
      runId: 'r1',
      event: { kind: 'task:output', id: 'f', attempt: 2, peer: 'p1', lines, droppedLines: 4 },
    });
    const lines = [{ level: 'error', text: 'bad', at: 9 }];
    expect(validateMessage(event(lines))).toEqual(event(lines));
    const big = 'v'.repeat(40_000);
    expect(
      refusal(
        event([
          { level: 'log', text: big, at: 1 },
          { level: 'log', text: big, at: 1 },
        ]),
      ).field,
    ).toBe('event.lines');
  });
});
