import { describe, expect, it } from 'vitest';
import { buildScene, initiallyExpanded } from '../src/dashboard/graph/scene.js';
import { dagShape, functionPrefix } from '../src/run-model/dag-shape.js';
import { specs } from './support/scripted-run.js';

describe('the shape of a DAG', () => {
  it('groups functions by id prefix, as Dask groups keys', () => {
    expect(['tile-3-4', 'row_2', 'image', 'count.12', 'x1', '42'].map(functionPrefix)).toEqual([
      'tile',
      'row',
      'image',
      'count',
      'x',
      '42',
    ]);
  });

  it('puts each function one layer below its deepest input, and splits a prefix that spans layers', () => {
    const shape = dagShape(
      specs(['a-0', 'a-1', 'b-0', 'a-2', 'c'], {
        'b-0': ['a-0', 'a-1'],
        'a-2': ['b-0'],
        c: ['a-2', 'a-0', 'outside'],
      }),
    );
    expect(Object.fromEntries(shape.layerOf)).toEqual({ 'a-0': 0, 'a-1': 0, 'b-0': 1, 'a-2': 2, c: 3 });
    expect(shape.groups.map((g) => [g.key, g.ids])).toEqual([
      ['a@0', ['a-0', 'a-1']],
      ['b', ['b-0']],
      ['a@2', ['a-2']],
      ['c', ['c']],
    ]);
    expect(shape.prefixes.get('a')).toEqual(['a-0', 'a-1', 'a-2']);
    // A producer outside the DAG is no edge.
    expect(shape.edges).toContainEqual(['a-0', 'c']);
    expect(shape.edges.some(([p]) => p === 'outside')).toBe(false);
  });

  it('a big DAG starts with its large groups collapsed, and merges the edges between collapsed groups', () => {
    const ids = [...Array.from({ length: 300 }, (_, i) => `m-${i}`), 'total'];
    const shape = dagShape(specs(ids, { total: ids.slice(0, 300) }));
    const expanded = initiallyExpanded(shape);
    expect([...expanded]).toEqual(['total']);
    const scene = buildScene(shape, expanded, false);
    expect(scene.nodes.map((n) => [n.kind, n.key])).toEqual([
      ['group', 'g:m'],
      ['function', 'f:total'],
    ]);
    // 300 dependencies, one edge drawn.
    expect(scene.placed.edges).toHaveLength(1);
    expect(scene.nodeOf.get('m-7')?.key).toBe('g:m');
    // Opening the group draws every function of it.
    const open = buildScene(shape, new Set(['m', 'total']), false);
    expect(open.nodes).toHaveLength(301);
    expect(open.placed.edges).toHaveLength(300);
  });
});
