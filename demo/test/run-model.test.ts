import type { Run, RunEventName, RunEvents, RunSummary } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { RunModel } from '../src/run-model/run-model.js';

/** A run driven by hand: the model only listens to events, so a scripted emitter is enough here. */
function scriptedRun(): { run: Run; emit<E extends RunEventName>(event: E, payload: RunEvents[E]): void } {
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const run: Run = {
    id: 'r',
    done: new Promise<RunSummary>(() => {}),
    result: async () => undefined,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    records: () => [],
    cancel() {},
  };
  return {
    run,
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) (l as (p: typeof payload) => void)(payload);
    },
  };
}

const fns = ['a', 'b', 'c'].map((id) => ({
  id,
  args: [],
  code: { kind: 'source' as const, source: '() => 1' },
}));

describe('the dashboard run model', () => {
  it('on a mesh, places bars dispatched ahead (pipelined) when a slot of their peer was free', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(fns, run, () => 0, { slotsOf: (lane) => (lane === 'p1' ? 1 : undefined) });
    // All three dispatched to a one-slot peer at t=0; they end at 100, 200, 300.
    for (const id of ['a', 'b', 'c']) emit('task:started', { id, attempt: 1, peer: 'p1', at: 0 });
    expect(model.runningByLane().get('p1')).toBe(1);
    for (const [id, at] of [
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ] as const)
      emit('task:succeeded', { id, attempt: 1, peer: 'p1', at, cached: false });
    expect(model.bars.map((b) => [b.id, b.start, b.end])).toEqual([
      ['a', 0, 100],
      ['b', 100, 200],
      ['c', 200, 300],
    ]);
    // Never more running than the slot: the load steps never overlap.
    let running = 0;
    let peak = 0;
    for (const s of [...model.load].sort((x, y) => x.at - y.at || x.delta - y.delta)) {
      running += s.delta;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(1);
    expect(model.runningByLane().get('p1')).toBe(0);
  });

  it('adds no load for a pipelined bar whose completion came in the same instant as the one before', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(fns, run, () => 0, { slotsOf: () => 1 });
    emit('task:started', { id: 'a', attempt: 1, peer: 'p1', at: 0 });
    emit('task:started', { id: 'b', attempt: 1, peer: 'p1', at: 0 });
    emit('task:succeeded', { id: 'a', attempt: 1, peer: 'p1', at: 100, cached: false });
    emit('task:succeeded', { id: 'b', attempt: 1, peer: 'p1', at: 100, cached: false });
    expect(model.bars.map((b) => [b.id, b.start, b.end])).toEqual([
      ['a', 0, 100],
      ['b', 100, 100],
    ]);
    expect(model.load).toEqual([
      { at: 0, lane: 'p1', delta: 1 },
      { at: 100, lane: 'p1', delta: -1 },
    ]);
  });

  it('without slot counts (a local run) keeps the start each event reports', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(fns, run, () => 0);
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
