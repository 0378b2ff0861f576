import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runLocal } from '../../src/engine/run-local.js';
import { OUTPUT_LIMIT_CHARS, outputSize } from '../../src/run/output.js';
import type { RunEvents } from '../../src/run/types.js';
import { formatArgs, OutputCapture } from '../../src/worker/output-capture.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { fn } from '../engine/helpers.js';

describe('formatting a console call', () => {
  test('substitutes %s %d %i %j %o %%, joins the rest with spaces, and prints strings bare only at top level', () => {
    expect(formatArgs(['%s has %d items (%i%%)', 'cart', 3, 42.9])).toBe('cart has 3 items (42%)');
    expect(formatArgs(['%j', { a: [1, 'b'] }, 'tail', 7n])).toBe('{"a":[1,"b"]} tail 7n');
    expect(formatArgs([{ s: 'x', n: undefined, f() {} }])).toBe(
      '{"s":"x","n":"[undefined]","f":"[Function: f]"}',
    );
    expect(formatArgs(['%d and %s left over'])).toBe('%d and %s left over');
  });

  test('cycles, Maps and Sets are named; a value whose toJSON throws becomes a placeholder instead of failing', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(formatArgs([cyclic])).toBe('{"name":"loop","self":"[Circular]"}');
    expect(formatArgs([new Map([[1, 'a']]), new Set([2])])).toBe('{"[Map]":[[1,"a"]]} {"[Set]":[2]}');
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(formatArgs(['value:', hostile])).toBe('value: [value that cannot be printed]');
  });

  test('an error prints its stack, so the line says where it was made', () => {
    const text = formatArgs([new Error('bad thing')]);
    expect(text).toMatch(/^Error: bad thing\n\s+at /);
  });
});

describe('capturing one call', () => {
  test('lines printed outside a call are dropped; inside, each console method keeps its level', () => {
    const capture = new OutputCapture();
    capture.console.log('before any call');
    capture.begin();
    capture.console.log('a');
    capture.console.debug('b');
    capture.console.trace('c');
    capture.console.assert(false, 'd');
    capture.console.assert(true, 'never');
    capture.console.count();
    capture.console.count();
    const out = capture.end()!;
    expect(out.lines.map((l) => [l.level, l.text])).toEqual([
      ['log', 'a'],
      ['debug', 'b'],
      ['debug', 'Trace: c'],
      ['error', 'Assertion failed d'],
      ['log', 'default: 1'],
      ['log', 'default: 2'],
    ]);
    expect(out.droppedLines).toBe(0);
    // Counters start afresh for the next call: one function's counts tell the next nothing.
    capture.begin();
    capture.console.count();
    expect(capture.end()!.lines[0]!.text).toBe('default: 1');
    capture.begin();
    expect(capture.end()).toBeUndefined();
  });

  test('an attempt keeps at most the budget: the overflowing line is cut and later lines are counted', () => {
    const capture = new OutputCapture();
    capture.begin();
    const line = 'y'.repeat(1000);
    for (let i = 0; i < 100; i++) capture.console.log(line);
    const out = capture.end()!;
    expect(outputSize(out)).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(outputSize(out)).toBeGreaterThan(OUTPUT_LIMIT_CHARS - 1001);
    expect(out.lines.at(-1)!.text.endsWith('…')).toBe(true);
    expect(out.lines.length + out.droppedLines).toBe(100);
    expect(out.droppedLines).toBeGreaterThan(30);
  });
});

describe('function output in a local run (real worker_threads)', () => {
  let sandboxed: WorkerPool;
  let trusted: WorkerPool;
  beforeAll(() => {
    sandboxed = createWorkerPool({ size: 1 });
    trusted = createWorkerPool({ size: 1, trustCode: true });
  });
  afterAll(async () => {
    await sandboxed.close();
    await trusted.close();
  });

  for (const mode of ['sandboxed', 'trusted'] as const) {
    test(`${mode}: each function's prints land on its own record and event, attributed to its attempt and worker`, async () => {
      const run = runLocal(
        [
          fn('a', [], '() => { console.log("from a", 1); console.warn("careful"); return 2; }'),
          fn(
            'b',
            ['a'],
            'async (x) => { console.error("b got", x); await new Promise((r) => setTimeout(r, 5)); console.info("b after await"); return x * 2; }',
          ),
          fn('c', ['b'], '(x) => x + 1'),
          fn('d', ['c'], '(x) => { console.log("d fails"); throw new Error("nope"); }'),
        ],
        { pool: mode === 'sandboxed' ? sandboxed : trusted },
      );
      const events: RunEvents['function:log'][] = [];
      run.on('function:log', (e) => events.push(e));
      const order: string[] = [];
      run.on('function:log', (e) => order.push(`log:${e.id}`));
      run.on('task:succeeded', (e) => order.push(`ok:${e.id}`));
      const summary = await run.done;
      const byId = new Map(summary.functions.map((r) => [r.id, r]));
      const texts = (id: string) =>
        byId.get(id)!.logs?.flatMap((o) => o.lines.map((l) => `${l.level} ${l.text}`));
      expect(texts('a')).toEqual(['log from a 1', 'warn careful']);
      expect(texts('b')).toEqual(['error b got 2', 'info b after await']);
      expect(byId.get('c')!.logs).toBeUndefined();
      // A failed attempt's prints are kept too: they are what one reads to see why it failed.
      expect(byId.get('d')!.status).toBe('failed');
      expect(texts('d')).toEqual(['log d fails']);
      // Streamed: the first prints of a call leave its worker one by one, as they are printed.
      expect(events.map((e) => [e.id, e.attempt, e.peer, e.lines.map((l) => l.text)])).toEqual([
        ['a', 1, 'local:0', ['from a 1']],
        ['a', 1, 'local:0', ['careful']],
        ['b', 1, 'local:0', ['b got 2']],
        ['b', 1, 'local:0', ['b after await']],
        ['d', 1, 'local:0', ['d fails']],
      ]);
      // Listeners learn what an attempt printed before they learn that it ended.
      expect(order.indexOf('log:a')).toBeLessThan(order.indexOf('ok:a'));
      expect(order.indexOf('log:b')).toBeLessThan(order.indexOf('ok:b'));
    });
  }

  test('a function cannot swap the console that the next function prints to (sandboxed)', async () => {
    const run = runLocal(
      [
        fn(
          'tamper',
          [],
          '() => { try { console.log = () => {}; } catch (e) { console.log("refused:", e instanceof TypeError); } return 1; }',
        ),
        fn('next', ['tamper'], '() => { console.log("still captured"); return 2; }'),
      ],
      { pool: sandboxed },
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    const logs = Object.fromEntries(
      summary.functions.map((r) => [r.id, r.logs?.[0]?.lines.map((l) => l.text)]),
    );
    expect(logs.tamper).toEqual(['refused: true']);
    expect(logs.next).toEqual(['still captured']);
  });
});
