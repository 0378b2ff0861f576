import { TaskError } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { RunModel } from '../src/run-model/run-model.js';
import { peakOf, runningAt } from '../src/run-model/running.js';
import { scriptedRun, specs } from './support/scripted-run.js';

const fail = (id: string, attempt: number, peer: string, message: string) =>
  new TaskError(id, attempt, 'threw', message, `Error: ${message}\n    at f (fn.js:1:1)`, peer);

const summary = (model: RunModel, status: 'succeeded' | 'failed' | 'cancelled', endedAt: number) => ({
  runId: 'r',
  status,
  startedAt: 0,
  endedAt,
  functions: model.functions.map((f) => ({
    id: f.id,
    hash: f.id,
    status: model.status.get(f.id) === 'succeeded' ? ('succeeded' as const) : ('cancelled' as const),
    attempts: 1,
    history: [],
    ...(model.status.get(f.id) !== 'succeeded' && { endedAt }),
  })),
});

describe('the run model', () => {
  it('keeps the peers the coordinator quarantined, with its reason, and tells its views', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a']), run, () => 0);
    let changes = 0;
    model.onChange(() => changes++);
    emit('peer:quarantined', { peer: 'liar', reason: 'disagreed with the quorum 2 times', at: 5 });
    expect(model.quarantined).toEqual(new Map([['liar', 'disagreed with the quorum 2 times']]));
    expect(changes).toBe(1);
  });

  it('counts no function as running after a run of 0 ms functions (no permanent +1 per function)', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `f-${i}`);
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(ids), run, () => 0);
    ids.forEach((id, i) => {
      const lane = `local:${i % 2}`;
      const at = Math.floor(i / 2); // each worker: one 0 ms function per millisecond
      emit('task:started', { id, attempt: 1, peer: lane, at });
      emit('task:succeeded', { id, attempt: 1, peer: lane, at, cached: false });
    });
    for (const steps of model.stepsByLane().values()) expect(peakOf(steps)).toBe(0);
    expect(model.runningByLane()).toEqual(
      new Map([
        ['local:0', 0],
        ['local:1', 0],
      ]),
    );
    expect(model.counts().running).toBe(0);
    expect(model.counts().succeeded).toBe(200);
  });

  it('counts a worker that starts its next function in the same millisecond as running one, not two', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b']), run, () => 0);
    emit('task:started', { id: 'a', attempt: 1, peer: 'local:0', at: 0 });
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'local:0', at: 100, cached: false });
    emit('task:started', { id: 'b', attempt: 1, peer: 'local:0', at: 100 });
    emit('task:succeeded', { id: 'b', attempt: 1, peer: 'local:0', at: 150, cached: false });
    const steps = model.stepsByLane().get('local:0')!;
    expect(steps).toEqual([
      { at: 0, running: 1 },
      { at: 150, running: 0 },
    ]);
    expect(runningAt(steps, 100)).toBe(1);
  });

  it('keeps every attempt of a retried function, each with its lane and its error and stack', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a']), run, () => 0);
    emit('task:started', { id: 'a', attempt: 1, peer: 'local:0', at: 0 });
    emit('task:failed', {
      id: 'a',
      attempt: 1,
      peer: 'local:0',
      at: 10,
      error: fail('a', 1, 'local:0', 'boom 1'),
      final: false,
    });
    expect(model.status.get('a')).toBe('queued');
    emit('task:started', { id: 'a', attempt: 2, peer: 'local:1', at: 120 });
    emit('task:failed', {
      id: 'a',
      attempt: 2,
      peer: 'local:1',
      at: 130,
      error: fail('a', 2, 'local:1', 'boom 2'),
      final: true,
    });
    expect(model.status.get('a')).toBe('failed');
    const attempts = model.attemptsOf('a');
    expect(attempts.map((b) => [b.attempt, b.lane, b.outcome, b.start, b.end, b.error?.message])).toEqual([
      [1, 'local:0', 'failed', 0, 10, 'boom 1'],
      [2, 'local:1', 'failed', 120, 130, 'boom 2'],
    ]);
    expect(attempts[1]!.error?.stack).toContain('at f (fn.js:1:1)');
    expect(model.counts()).toMatchObject({ failed: 1, running: 0, queued: 0 });
  });

  it('closes the losing copy of a duplicated function when the winner ends, and counts neither as running', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['slow']), run, () => 500, { slotsOf: () => 1 });
    emit('task:started', { id: 'slow', attempt: 1, peer: 'p1', at: 0 });
    emit('task:started', { id: 'slow', attempt: 1, peer: 'p2', at: 200 }); // the straggler's copy
    expect(model.counts().running).toBe(1);
    expect(model.runningByLane()).toEqual(
      new Map([
        ['p1', 1],
        ['p2', 1],
      ]),
    );
    emit('task:succeeded', { id: 'slow', attempt: 1, peer: 'p2', at: 300, cached: false });
    expect(model.attemptsOf('slow').map((b) => [b.lane, b.outcome, b.end])).toEqual([
      ['p1', 'superseded', 300],
      ['p2', 'succeeded', 300],
    ]);
    expect(model.runningByLane()).toEqual(
      new Map([
        ['p1', 0],
        ['p2', 0],
      ]),
    );
    expect(peakOf(model.totalSteps())).toBe(2); // both ran between 200 and 300
    expect(runningAt(model.totalSteps(), 300)).toBe(0);
  });

  it('closes what was running when the run is cancelled, as cancelled, at the run end', () => {
    let now = 0;
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b', 'c']), run, () => now);
    emit('task:started', { id: 'a', attempt: 1, peer: 'local:0', at: 0 });
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'local:0', at: 50, cached: false });
    emit('task:started', { id: 'b', attempt: 1, peer: 'local:0', at: 50 });
    now = 400;
    emit('run:done', summary(model, 'cancelled', 400));
    now = 10_000; // the clock goes on; nothing is counted as still running
    expect(model.attemptsOf('b').map((b) => [b.outcome, b.end])).toEqual([['cancelled', 400]]);
    expect(model.counts()).toMatchObject({ succeeded: 1, cancelled: 2, running: 0 });
    expect(runningAt(model.totalSteps(), 9_000)).toBe(0);
    expect(model.clockEnd()).toBe(400);
  });

  it('takes events out of order: an end before its start, a queue after an end, a start after an end', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b']), run, () => 1000);
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'local:0', at: 100, cached: false });
    emit('task:started', { id: 'a', attempt: 1, peer: 'local:0', at: 40 });
    emit('task:queued', { id: 'a' });
    expect(model.status.get('a')).toBe('succeeded');
    expect(model.attemptsOf('a')).toHaveLength(1);
    expect(model.attemptsOf('a')[0]).toMatchObject({ start: 100, end: 100, inferred: true });
    // An event about a function the DAG does not have changes nothing.
    emit('task:started', { id: 'stranger', attempt: 1, peer: 'local:0', at: 0 });
    expect(model.bars.some((b) => b.id === 'stranger')).toBe(false);
    expect(model.counts().running).toBe(0);
    expect(peakOf(model.totalSteps())).toBe(0);
  });

  it('shows a cache hit with no peer as an instant in a lane of its own, and counts it as cached', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a']), run, () => 0);
    emit('task:succeeded', { id: 'a', attempt: 1, peer: '', at: 5, cached: true });
    expect(model.lanes).toEqual(['cache']);
    expect(model.counts()).toMatchObject({ succeeded: 1, cached: 1, running: 0 });
  });

  it('on a mesh, places pipelined attempts when a slot of their peer was free, and counts the rest as dispatched', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b', 'c']), run, () => 50, {
      slotsOf: (l) => (l === 'p1' ? 1 : undefined),
    });
    for (const id of ['a', 'b', 'c']) emit('task:started', { id, attempt: 1, peer: 'p1', at: 0 });
    // What the issue saw as "3 running" on a one-slot peer: one runs, two wait on the peer.
    expect(model.counts()).toMatchObject({ running: 1, dispatched: 2 });
    expect(peakOf(model.stepsByLane().get('p1')!)).toBe(1);
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'p1', at: 100, cached: false });
    emit('task:succeeded', { id: 'b', attempt: 1, peer: 'p1', at: 200, cached: false });
    emit('task:succeeded', { id: 'c', attempt: 1, peer: 'p1', at: 300, cached: false });
    expect(model.bars.map((b) => [b.id, b.start, b.end])).toEqual([
      ['a', 0, 100],
      ['b', 100, 200],
      ['c', 200, 300],
    ]);
    expect(model.stepsByLane().get('p1')).toEqual([
      { at: 0, running: 1 },
      { at: 300, running: 0 },
    ]);
  });

  it('without slot counts keeps the start each event reports', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b']), run, () => 0);
    emit('task:started', { id: 'a', attempt: 1, peer: 'local:0', at: 0 });
    emit('task:started', { id: 'b', attempt: 1, peer: 'local:0', at: 5 });
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'local:0', at: 100, cached: false });
    emit('task:succeeded', { id: 'b', attempt: 1, peer: 'local:0', at: 150, cached: false });
    expect(model.bars.map((b) => [b.id, b.start, b.end])).toEqual([
      ['a', 0, 100],
      ['b', 5, 150],
    ]);
  });
});
