import { describe, expect, it } from 'vitest';
import { linkFlows } from '../src/run-model/link-flows.js';
import { RunModel } from '../src/run-model/run-model.js';
import { scriptedRun, specs } from './support/scripted-run.js';

describe('inputs between peers', () => {
  it('counts each input computed on one peer and consumed on another, with its size, once per consumer', () => {
    const { run, emit } = scriptedRun();
    const model = new RunModel(specs(['a', 'b', 'c', 'd'], { c: ['a', 'b', 'a'], d: ['c'] }), run, () => 0);
    const ran = (id: string, peer: string, at: number, cached = false) => {
      if (!cached) emit('task:started', { id, attempt: 1, peer, at });
      emit('task:succeeded', { id, attempt: 1, peer, at: at + 1, cached });
    };
    ran('a', 'p1', 0);
    ran('b', 'p2', 0);
    ran('c', 'p2', 5);
    ran('d', 'p2', 10, true); // a cache hit ran nowhere: no input moved for it
    const sizes: Record<string, number> = { a: 1000, b: 50, c: 7 };
    expect(linkFlows(model, (id) => sizes[id])).toEqual([{ from: 'p1', to: 'p2', inputs: 1, bytes: 1000 }]);
    // Lanes of one peer (the workers of one tab) share its memory: nothing crossed a link.
    expect(
      linkFlows(
        model,
        (id) => sizes[id],
        () => 'tab',
      ),
    ).toEqual([]);
  });
});
