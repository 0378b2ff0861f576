import { describe, expect, it } from 'vitest';
import { CancelledError, SkippedError, TaskError } from '../../src/errors.js';
import { RunController } from '../../src/run/run-controller.js';
import { logEvents } from '../engine/helpers.js';

const fns = (...ids: string[]) => ids.map((id) => ({ id, hash: `h-${id}` }));

describe('RunController (driven by hand, as a mesh coordinator would)', () => {
  it('resolves result() for a function whether asked before or after it ends', async () => {
    const run = new RunController('r1', fns('a', 'b'));
    const early = run.result('a');
    run.markQueued('a');
    run.markStarted('a', 1, 'peer-x');
    run.markSucceeded('a', 41, { cached: false });
    expect(await early).toBe(41);
    expect(await run.result('a')).toBe(41);
    expect(run.records()[0]).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      peer: 'peer-x',
      cached: false,
    });
    run.markSucceeded('b', 1, { cached: true });
    expect((await run.done).status).toBe('succeeded');
  });

  it('ignores reports about a function that has already ended', async () => {
    const run = new RunController('r2', fns('a'));
    const log = logEvents(run);
    run.markStarted('a', 1, 'p');
    run.markSucceeded('a', 1, { cached: false });
    run.markFailed('a', new TaskError('a', 1, 'peer-lost', 'late news'), true);
    run.markSucceeded('a', 2, { cached: false });
    const summary = await run.done;
    expect(summary.functions[0]).toMatchObject({ status: 'succeeded', results: 1 });
    expect(log.map((e) => e.event)).toEqual(['task:started', 'task:succeeded', 'run:done']);
  });

  it('closes each attempt in the history with its end time and error', async () => {
    const run = new RunController('r3', fns('a'));
    run.markStarted('a', 1, 'p1', 100);
    run.markFailed('a', new TaskError('a', 1, 'threw', 'oops'), false, 150);
    run.markRetried('a', 2, 10);
    run.markStarted('a', 2, 'p2', 200);
    run.markSucceeded('a', 'ok', { cached: false, at: 250 });
    expect(run.records()[0]!.history).toEqual([
      { attempt: 1, peer: 'p1', startedAt: 100, endedAt: 150, error: 'oops' },
      { attempt: 2, peer: 'p2', startedAt: 200, endedAt: 250 },
    ]);
  });

  it('rejects with SkippedError and TaskError, and reports the run as failed', async () => {
    const run = new RunController('r4', fns('a', 'b'));
    const error = new TaskError('a', 1, 'threw', 'bad');
    run.markFailed('a', error, true);
    run.markSkipped('b', 'a');
    await expect(run.result('a')).rejects.toBe(error);
    await expect(run.result('b')).rejects.toBeInstanceOf(SkippedError);
    expect((await run.done).status).toBe('failed');
  });

  it('aborts its signal on cancel, rejects unfinished results with CancelledError and ends cancelled', async () => {
    const run = new RunController('r5', fns('a', 'b'));
    const pending = run.result('b');
    run.markSucceeded('a', 1, { cached: false });
    run.cancel('stop');
    expect(run.signal.aborted).toBe(true);
    run.markCancelled('b');
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect((await run.done).status).toBe('cancelled');
  });

  it('waits for the beforeDone hook before resolving done and emitting run:done', async () => {
    let hookDone = false;
    const run = new RunController('r6', fns('a'), {
      beforeDone: async () => {
        await new Promise((r) => setTimeout(r, 10));
        hookDone = true;
      },
    });
    run.markSucceeded('a', 1, { cached: false });
    await run.done;
    expect(hookDone).toBe(true);
  });

  it('keeps going when an event listener throws', async () => {
    const run = new RunController('r7', fns('a'));
    run.on('task:succeeded', () => {
      throw new Error('listener bug');
    });
    run.markSucceeded('a', 1, { cached: false });
    expect((await run.done).status).toBe('succeeded');
  });
});
