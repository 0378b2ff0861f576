/**
 * Properties of the run model's running count over generated runs: whatever the interleaving, the zero-length
 * functions, the retries, the copies and the cancellations, the count never exceeds the slots and returns to zero.
 */
import { type RunEventName, type RunEvents, TaskError } from '@handout/peer-runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunModel } from '../src/run-model/run-model.js';
import { peakOf, runningAt, type Step } from '../src/run-model/running.js';
import { scriptedRun, specs } from './support/scripted-run.js';

type Event = { [E in RunEventName]: { name: E; payload: RunEvents[E]; at: number } }[RunEventName];

const error = (id: string, attempt: number, peer: string) =>
  new TaskError(id, attempt, 'threw', 'no', undefined, peer);

/** Max over every step, and the count after the last one. */
function check(steps: readonly Step[], cap: number): void {
  expect(peakOf(steps)).toBeLessThanOrEqual(cap);
  expect(steps.every((s) => s.running >= 0)).toBe(true);
}

/** Merges per-lane event lists in a random order that keeps each lane's own order (workers report independently). */
function interleave(lists: Event[][], picks: readonly number[]): Event[] {
  const queues = lists.map((l) => [...l]);
  const out: Event[] = [];
  let p = 0;
  while (queues.some((q) => q.length > 0)) {
    const live = queues.filter((q) => q.length > 0);
    out.push(live[(picks[p++ % Math.max(1, picks.length)] ?? 0) % live.length]!.shift()!);
  }
  return out;
}

const laneJobs = fc.array(fc.record({ gap: fc.nat(3), duration: fc.nat(4), failures: fc.nat(2) }), {
  maxLength: 12,
});

describe('the running count (property)', () => {
  it('on one-slot workers reporting real starts, never exceeds the workers, and is zero once the run is done', () => {
    fc.assert(
      fc.property(
        fc.array(laneJobs, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(7), { maxLength: 64 }),
        fc.option(fc.nat(60), { nil: undefined }),
        (lanes, picks, cancelAt) => {
          const lists: Event[][] = [];
          const ids: string[] = [];
          lanes.forEach((jobs, l) => {
            const peer = `local:${l}`;
            const events: Event[] = [];
            let t = 0;
            jobs.forEach((job, j) => {
              const id = `f-${l}-${j}`;
              ids.push(id);
              for (let attempt = 1; attempt <= job.failures + 1; attempt++) {
                t += job.gap;
                events.push({ name: 'task:started', payload: { id, attempt, peer, at: t }, at: t });
                t += job.duration;
                events.push(
                  attempt <= job.failures
                    ? {
                        name: 'task:failed',
                        payload: { id, attempt, peer, at: t, error: error(id, attempt, peer), final: false },
                        at: t,
                      }
                    : { name: 'task:succeeded', payload: { id, attempt, peer, at: t, cached: false }, at: t },
                );
              }
            });
            lists.push(events.filter((e) => cancelAt === undefined || e.at <= cancelAt));
          });
          const { run, emit } = scriptedRun();
          let now = 0;
          const model = new RunModel(specs(ids), run, () => now);
          for (const e of interleave(lists, picks)) {
            now = Math.max(now, e.at);
            emit(e.name, e.payload as never);
            check(model.totalSteps(), lanes.length);
          }
          const end = cancelAt ?? now;
          now = end;
          emit('run:done', {
            runId: 'r',
            status: cancelAt === undefined ? 'succeeded' : 'cancelled',
            startedAt: 0,
            endedAt: end,
            functions: ids.map((id) => ({
              id,
              hash: id,
              status: model.status.get(id) === 'succeeded' ? 'succeeded' : 'cancelled',
              attempts: 1,
              history: [],
            })),
          });
          now = end + 1000;
          const total = model.totalSteps();
          check(total, lanes.length);
          for (const steps of model.stepsByLane().values()) check(steps, 1);
          expect(runningAt(total, end + 500)).toBe(0);
          expect(model.counts().running).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on a mesh with pipelined dispatch and straggler copies, never exceeds the mesh total slots', () => {
    const peerArb = fc.record({ slots: fc.integer({ min: 1, max: 3 }), jobs: fc.nat(10) });
    fc.assert(
      fc.property(
        fc.array(peerArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ dispatch: fc.nat(30), duration: fc.nat(6), copyTo: fc.nat(5) }), {
          maxLength: 30,
        }),
        (peers, jobs) => {
          const slotsOf = (lane: string) => peers[Number(lane.slice(1))]?.slots;
          const totalSlots = peers.reduce((s, p) => s + p.slots, 0);
          // Each peer runs what it was given in dispatch order on its slots; the coordinator reports dispatches.
          const free = peers.map((p) => new Array<number>(p.slots).fill(0));
          const events: Event[] = [];
          const ends = new Map<string, number>();
          const sorted = [...jobs].sort((a, b) => a.dispatch - b.dispatch);
          const runOn = (id: string, p: number, dispatch: number, duration: number) => {
            const slots = free[p]!;
            let k = 0;
            for (let j = 1; j < slots.length; j++) if (slots[j]! < slots[k]!) k = j;
            const end = Math.max(dispatch, slots[k]!) + duration;
            slots[k] = end;
            events.push({
              name: 'task:started',
              payload: { id, attempt: 1, peer: `p${p}`, at: dispatch },
              at: dispatch,
            });
            return end;
          };
          sorted.forEach((job, i) => {
            const id = `f-${i}`;
            const p = i % peers.length;
            let end = runOn(id, p, job.dispatch, job.duration);
            let winner = p;
            const copy = job.copyTo % (peers.length + 1);
            if (copy < peers.length && copy !== p) {
              const copyEnd = runOn(id, copy, job.dispatch + 1, job.duration);
              if (copyEnd < end) [end, winner] = [copyEnd, copy];
            }
            ends.set(id, end);
            events.push({
              name: 'task:succeeded',
              payload: { id, attempt: 1, peer: `p${winner}`, at: end, cached: false },
              at: end,
            });
          });
          events.sort((a, b) => a.at - b.at);
          const { run, emit } = scriptedRun();
          let now = 0;
          const model = new RunModel(specs([...ends.keys()]), run, () => now, { slotsOf });
          for (const e of events) {
            now = e.at;
            emit(e.name, e.payload as never);
            check(model.totalSteps(), totalSlots);
            expect(model.counts().running).toBeLessThanOrEqual(totalSlots);
          }
          for (const [lane, steps] of model.stepsByLane()) check(steps, slotsOf(lane)!);
          expect(model.counts().running).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
