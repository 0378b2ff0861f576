import { describe, expect, it } from 'vitest';
import { awaitedCounts, dagGraph, releaseDependents, row } from '../../src/dag/graph.js';
import { fn } from '../engine/helpers.js';

describe('dagGraph (compressed rows)', () => {
  // c takes a twice and b's second output; d takes c and a.
  const functions = [
    fn('d', ['c', 'a'], '(x, y) => x'),
    fn('a', [], '() => 1'),
    fn('b', [], '() => [1, 2]', { outputs: 2 }),
    fn('c', ['a', ['b', 1], 'a'], '(x, y, z) => x'),
  ];
  const g = dagGraph(functions);
  const at = (id: string): number => g.indexById.get(id)!;
  const ids = (xs: Int32Array): string[] => Array.from(xs, (p) => functions[p]!.id);

  it('keeps one producer per distinct input, in first-use order, and each argument with its output', () => {
    expect(ids(row(g.producers, at('c')))).toEqual(['a', 'b']);
    expect(ids(row(g.producers, at('d')))).toEqual(['c', 'a']);
    expect(row(g.producers, at('a'))).toHaveLength(0);
    const first = g.deps.start[at('c')]!;
    expect(ids(g.deps.targets.subarray(first, first + 3))).toEqual(['a', 'b', 'a']);
    expect(Array.from(g.outputs.subarray(first, first + 3))).toEqual([-1, 1, -1]);
  });

  it('lists each consumer once per producer and releases a consumer when all its producers are done', () => {
    expect(ids(row(g.dependents, at('a'))).sort()).toEqual(['c', 'd']);
    expect(ids(row(g.dependents, at('b')))).toEqual(['c']);
    const remaining = awaitedCounts(g);
    expect(remaining[at('c')]).toBe(2);
    const ready: string[] = [];
    const done = (id: string) => releaseDependents(g, remaining, at(id), (d) => ready.push(functions[d]!.id));
    done('a');
    expect(ready).toEqual([]);
    done('b');
    expect(ready).toEqual(['c']);
    done('c');
    expect(ready).toEqual(['c', 'd']);
  });
});
