import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgRef, FunctionSpec } from '../../src/dag/types.js';
import { runLocal } from '../../src/engine/run-local.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { fn, logEvents } from './helpers.js';

/**
 * A random DAG: function i may depend on any earlier function (so there is no cycle), some of them multi-output.
 * Each function returns the sum of its inputs plus its own number, so the expected results follow from the shape.
 */
const randomDag = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 4 }),
      twoOutputs: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((nodes) =>
    nodes.map(({ deps, twoOutputs }, i): FunctionSpec => {
      const args: ArgRef[] = i === 0 ? [] : [...new Set(deps.map((d) => d % i))].map((d) => `f${d}`);
      // A multi-output function returns [sum, sum]; its consumers read output 1.
      const source = twoOutputs
        ? '(...xs) => { const s = xs.reduce((a, b) => a + b, 0); return [s, s]; }'
        : '(...xs) => xs.reduce((a, b) => a + b, 0)';
      return fn(`f${i}`, args, source, { extraArgs: [i + 1], outputs: twoOutputs ? 2 : 1 });
    }),
  )
  .map((specs) =>
    specs.map((spec) => ({
      ...spec,
      args: spec.args.map((ref) => {
        const producer = specs[Number((ref as string).slice(1))]!;
        return producer.outputs === 2 ? ([producer.id, 1] as const) : ref;
      }),
    })),
  );

function expectedResults(specs: readonly FunctionSpec[]): Map<string, unknown> {
  const scalar = new Map<string, number>();
  const out = new Map<string, unknown>();
  for (const spec of specs) {
    const sum =
      spec.args.reduce<number>((a, ref) => a + scalar.get(typeof ref === 'string' ? ref : ref[0])!, 0) +
      (spec.extraArgs![0] as number);
    scalar.set(spec.id, sum);
    out.set(spec.id, spec.outputs === 2 ? [sum, sum] : sum);
  }
  return out;
}

describe('runLocal on random DAGs', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = createWorkerPool({ size: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('runs every function after all of its inputs have succeeded, and computes the right results', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag, async (specs) => {
        const run = runLocal(specs, { pool });
        const log = logEvents(run);
        const summary = await run.done;
        expect(summary.status).toBe('succeeded');
        const position = (event: string, id: string): number =>
          log.findIndex((e) => e.event === event && 'id' in e.payload && e.payload.id === id);
        const byId = new Map(summary.functions.map((r) => [r.id, r]));
        const expected = expectedResults(specs);
        for (const spec of specs) {
          const record = byId.get(spec.id)!;
          expect(record.results).toEqual(expected.get(spec.id));
          const started = position('task:started', spec.id);
          for (const ref of spec.args) {
            const input = typeof ref === 'string' ? ref : ref[0];
            // In the event log, and in the records' clocks.
            expect(position('task:succeeded', input)).toBeLessThan(started);
            expect(record.startedAt!).toBeGreaterThanOrEqual(byId.get(input)!.endedAt!);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
