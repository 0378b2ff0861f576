import { validateDag } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { failingDag, fanDag, layeredDag, slowDag } from '../src/dashboard/synthetic-dags.js';
import { dagShape } from '../src/run-model/dag-shape.js';

describe('the generated DAGs of the dashboard', () => {
  it('are valid, and as large as their titles say', () => {
    for (const [dag, n] of [
      [fanDag(), 3031],
      [layeredDag(), 10_000],
      [failingDag(), 17],
      [slowDag(), 41],
    ] as const) {
      expect(validateDag(dag)).toEqual([]);
      expect(dag.functions).toHaveLength(n);
    }
  });

  it('the 10,000-function DAG has six layers, one group per prefix', () => {
    const shape = dagShape(layeredDag().functions);
    expect(shape.layers).toBe(6);
    expect(shape.groups.map((g) => [g.key, g.ids.length])).toEqual([
      ['load', 2500],
      ['parse', 2500],
      ['feature', 2500],
      ['score', 2400],
      ['reduce', 99],
      ['total', 1],
    ]);
  });
});
