/**
 * The ordering of a JSON-lines state file's writes (peer-runtime/src/platform/json-files.node.ts, the Node half
 * of the receipts' persistence) against the real file system: a rewrite (compaction: the owner's values replace
 * the file) racing appends must lose nothing the owner still holds. The race that lost values: an append opens a
 * batch whose write is queued, a rewrite is queued behind it, and a later append joins the still-open batch;
 * that batch is then written before the rewrite, which erases it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openJsonLines } from '../../peer-runtime/src/platform/json-files.node.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { dir: string; open: () => ReturnType<typeof openJsonLines> } {
  const dir = mkdtempSync(join(tmpdir(), 'handout-json-lines-'));
  dirs.push(dir);
  return {
    dir,
    open: () =>
      openJsonLines(dir, 'receipts.jsonl', (error) => {
        throw error;
      }),
  };
}

describe('a JSON-lines file whose compaction races appends', () => {
  it('keeps an append made after a rewrite that was queued behind a batch still open', async () => {
    const { dir, open } = fresh();
    const file = open();
    file.append({ n: 1 }); // opens a batch; its write is queued
    file.rewrite([{ n: 1 }]); // compaction, queued behind that write
    file.append({ n: 2 }); // after the compaction: must be written after it
    await file.close();
    expect(readFileSync(join(dir, 'receipts.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect(await open().load()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('holds exactly what its owner holds after any interleaving of appends, compactions and waits', async () => {
    type Op = { kind: 'append' } | { kind: 'rewrite'; keep: number } | { kind: 'wait'; turns: number };
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.constant<Op>({ kind: 'append' }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }).map<Op>((keep) => ({ kind: 'rewrite', keep })) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map<Op>((turns) => ({ kind: 'wait', turns })) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { open } = fresh();
        const file = open();
        // What the owner (a receipt book) holds: it compacts by dropping its oldest values, then appends new ones.
        let held: { n: number }[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'append') {
            const v = { n: n++ };
            held.push(v);
            file.append(v);
          } else if (o.kind === 'rewrite') {
            held = held.slice(Math.max(0, held.length - o.keep));
            file.rewrite(held);
          } else {
            // Let queued writes get under way (a file system call is several turns), so later calls race them.
            for (let t = 0; t < o.turns; t++) await new Promise((resolve) => setImmediate(resolve));
          }
        }
        await file.close();
        const again = open();
        expect(await again.load()).toEqual(held);
        await again.close();
      }),
      { numRuns: 150 },
    );
  });
});
