/**
 * Function ids that are special words of JavaScript objects, or long unicode, run locally and on a mesh: ids
 * travel as values (input lists, Maps), never as object keys. Control characters are refused at validation.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { validateDag } from '../../src/dag/validate.js';
import { runLocal } from '../../src/engine/run-local.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

const SPECIAL = [
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  `é${'漢'.repeat(500)}🙂`,
];

/** A chain over `ids`: each function adds one to the result of the one before. */
const chain = (ids: readonly string[]) =>
  ids.map((id, k) => (k === 0 ? fn(id, [], '() => 1') : fn(id, [ids[k - 1]!], '(x) => x + 1')));

describe('odd function ids', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('__proto__, constructor, hasOwnProperty and long unicode ids run in a local run', async () => {
    const pool = createWorkerPool({ size: 1 });
    try {
      const run = runLocal(chain(SPECIAL), { pool });
      expect((await run.done).status).toBe('succeeded');
      for (const [k, id] of SPECIAL.entries()) expect(await run.result(id)).toBe(k + 1);
    } finally {
      await pool.close();
    }
  });

  it('the same ids run on a mesh, their inputs fetched across peers', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }], { strategy: 'first-available' });
    // Pinning alternate functions to alternate peers makes every input cross a peer boundary (a fetch, or inline).
    const dag = chain(SPECIAL).map((spec, k) => ({ ...spec, node: { peer: k % 2 === 0 ? 'p1' : 'p2' } }));
    const run = mesh.coordinator.submit(dag);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const [k, id] of SPECIAL.entries()) expect(await run.result(id)).toBe(k + 1);
    expect(summary.functions.map((r) => r.peer)).toEqual(SPECIAL.map((_, k) => (k % 2 === 0 ? 'p1' : 'p2')));
  });

  it('any id with a control character is refused at validation, naming the function and the character', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
        fc.string({ maxLength: 20 }),
        (before, code, after) => {
          const id = `${before}${String.fromCharCode(code)}${after}`;
          const issues = validateDag([fn(id, [], '() => 1')]);
          expect(issues.map((i) => i.message).join('; ')).toContain('must not contain control characters');
        },
      ),
      { numRuns: 200 },
    );
  });
});
