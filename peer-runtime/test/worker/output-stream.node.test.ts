/**
 * Live output in real worker_threads (worker/output-stream.ts): prints leave the worker while the call runs, so
 * they survive a worker that dies or is terminated, and the pieces add up to the outcome's output.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runLocal } from '../../src/engine/run-local.js';
import { type FunctionOutput, OUTPUT_LIMIT_CHARS, outputSize } from '../../src/run/output.js';
import type { RunEvents } from '../../src/run/types.js';
import { createSpillBuffer, OutputSpill } from '../../src/worker/output-spill.js';
import { EAGER_CHUNKS, isOutputChunk, RepeatFilter, StreamedOutput } from '../../src/worker/output-stream.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { fn } from '../engine/helpers.js';

const texts = (output: FunctionOutput | undefined): string[] => output?.lines.map((l) => l.text) ?? [];
const source = (code: string) => ({ kind: 'source' as const, source: code });

describe('live output of a pool call (real worker_threads)', () => {
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

  test('a print reaches onOutput while the call still runs, and the pieces are the outcome output', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pieces: FunctionOutput[] = [];
    let settled = false;
    const outcome = sandboxed
      .run(
        {
          functionId: 'waits',
          code: source(
            'async () => { console.log("started"); await new Promise((r) => setTimeout(r, 400)); console.log("ended"); return 1; }',
          ),
          args: [],
        },
        {
          onOutput: (piece) => {
            pieces.push(piece);
            // The first piece arrives while the call awaits: the test lets it finish only then.
            if (pieces.length === 1) {
              expect(settled).toBe(false);
              release();
            }
          },
        },
      )
      .then((o) => {
        settled = true;
        return o;
      });
    await released;
    expect(pieces.map(texts)).toEqual([['started']]);
    const done = await outcome;
    expect(done.ok).toBe(true);
    expect(pieces.map(texts)).toEqual([['started'], ['ended']]);
    expect(texts(done.output)).toEqual(['started', 'ended']);
  });

  test('what a call printed before process.exit killed its worker is its outcome output (trusted worker)', async () => {
    const pieces: FunctionOutput[] = [];
    const outcome = await trusted.run(
      {
        functionId: 'exits',
        code: source(
          '() => { console.log("about to exit"); console.error("bye"); globalThis.process.exit(7); }',
        ),
        args: [],
      },
      { onOutput: (p) => pieces.push(p) },
    );
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toBe('worker-died');
    expect(texts(outcome.output)).toEqual(['about to exit', 'bye']);
    expect(pieces.flatMap(texts)).toEqual(['about to exit', 'bye']);
  });

  test('what a call printed before looping forever survives the timeout that terminates its worker (sandboxed)', async () => {
    const outcome = await sandboxed.run(
      {
        functionId: 'spins',
        code: source('() => { console.log("step 1"); console.warn("step 2"); for (;;) {} }'),
        args: [],
      },
      { timeoutMs: 600 },
    );
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toBe('timeout');
    expect(outcome.output?.lines.map((l) => [l.level, l.text])).toEqual([
      ['log', 'step 1'],
      ['warn', 'step 2'],
    ]);
  });

  test('prints held back by pacing survive the timeout of a call that then loops forever (the spill)', async () => {
    // Past EAGER_CHUNKS, lines wait in the worker for PACE_MS; printed in one burst, the last ones are held back
    // when the loop starts, and no timer of the looping worker ever posts them: only the spill keeps them.
    const printed = EAGER_CHUNKS + 40;
    const pieces: FunctionOutput[] = [];
    const outcome = await sandboxed.run(
      {
        functionId: 'bursts-then-spins',
        code: source(`() => { for (let i = 0; i < ${printed}; i++) console.log("n" + i); for (;;) {} }`),
        args: [],
      },
      { timeoutMs: 600, onOutput: (p) => pieces.push(p) },
    );
    expect(!outcome.ok && outcome.reason).toBe('timeout');
    const expected = Array.from({ length: printed }, (_, i) => `n${i}`);
    expect(texts(outcome.output)).toEqual(expected);
    // The held-back lines were passed on too, after what was posted, each once.
    expect(pieces.flatMap(texts)).toEqual(expected);
  });

  test('prints held back when a call exhausts its heap are its outcome output', async () => {
    const capped = createWorkerPool({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      const printed = EAGER_CHUNKS + 10;
      const outcome = await capped.run({
        functionId: 'prints-then-grows',
        code: source(
          `() => { for (let i = 0; i < ${printed}; i++) console.log("m" + i); const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); }`,
        ),
        args: [],
      });
      expect(!outcome.ok && outcome.reason).toBe('out-of-memory');
      expect(texts(outcome.output)).toEqual(Array.from({ length: printed }, (_, i) => `m${i}`));
    } finally {
      await capped.close();
    }
  });

  test('a call re-run because another call of its batch killed their worker does not pass its prints on twice', async () => {
    const single = createWorkerPool({ size: 1, trustCode: true });
    try {
      const pieces = new Map<string, string[]>();
      const onOutputOf = (id: string) => (p: FunctionOutput) =>
        pieces.set(id, [...(pieces.get(id) ?? []), ...texts(p)]);
      // Submitted in one tick, so they share a batch: 'exits' kills the worker after the others ran and
      // printed, and those lose their results with it and run again.
      const outcomes = await Promise.all(
        ['a', 'b', 'exits', 'c'].map((id) =>
          single.run(
            {
              functionId: id,
              code: source(
                id === 'exits'
                  ? '() => { globalThis.process.exit(3); }'
                  : `() => { console.log("${id} one"); console.log("${id} two"); return "${id}"; }`,
              ),
              args: [],
            },
            { onOutput: onOutputOf(id), estimateMs: 1 },
          ),
        ),
      );
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
      for (const id of ['a', 'b', 'c']) {
        expect(pieces.get(id)).toEqual([`${id} one`, `${id} two`]);
        expect(texts(outcomes[['a', 'b', 'exits', 'c'].indexOf(id)]!.output)).toEqual([
          `${id} one`,
          `${id} two`,
        ]);
      }
    } finally {
      await single.close();
    }
  });

  test('a call printing in a loop is paced into few messages, cut at the budget, and its pieces add up', async () => {
    const pieces: FunctionOutput[] = [];
    const printed = 100_000;
    const outcome = await sandboxed.run(
      {
        functionId: 'floods',
        code: source(`() => { for (let i = 0; i < ${printed}; i++) console.log("line", i); return "done"; }`),
        args: [],
      },
      { onOutput: (p) => pieces.push(p) },
    );
    expect(outcome.ok).toBe(true);
    const output = outcome.output!;
    expect(outputSize(output)).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(output.lines.length + output.droppedLines).toBe(printed);
    expect(output.lines[0]!.text).toBe('line 0');
    // The pieces, concatenated, are the outcome's output: nothing lost, nothing twice.
    expect(pieces.flatMap((p) => p.lines)).toEqual(output.lines);
    expect(pieces.reduce((n, p) => n + p.droppedLines, 0)).toBe(output.droppedLines);
    // Eager for the first prints, then paced: far fewer messages than lines.
    expect(pieces.slice(0, EAGER_CHUNKS).every((p) => p.lines.length === 1)).toBe(true);
    expect(pieces.length).toBeLessThan(output.lines.length / 10);
  });
});

describe('live output of a local run', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = createWorkerPool({ size: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  test('a function that prints and then times out keeps its prints on its record and events, before its failure', async () => {
    const run = runLocal(
      [fn('stuck', [], '() => { console.log("working on it"); for (;;) {} }', { timeoutMs: 600 })],
      { pool },
    );
    const order: string[] = [];
    run.on('function:log', (e: RunEvents['function:log']) => order.push(`log:${e.lines[0]?.text}`));
    run.on('task:failed', (e) => order.push(`failed:${e.error.reason}`));
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(order).toEqual(['log:working on it', 'failed:timeout']);
    const record = summary.functions[0]!;
    expect(record.logs).toHaveLength(1);
    expect(record.logs![0]).toMatchObject({ attempt: 1, peer: 'local:0', droppedLines: 0 });
    expect(texts(record.logs![0])).toEqual(['working on it']);
  });
});

describe('the pool side of the stream', () => {
  test('a re-run passes on only what repeats nothing passed on before', () => {
    const line = (text: string) => ({ level: 'log' as const, text, at: 1 });
    const filter = new RepeatFilter({ lines: [line('x'), line('y')], droppedLines: 2 });
    expect(filter.pass({ lines: [line('x')], droppedLines: 0 })).toBeUndefined();
    expect(filter.pass({ lines: [line('y'), line('z')], droppedLines: 0 })?.lines.map((l) => l.text)).toEqual(
      ['z'],
    );
    // Once past (or off) what was passed on, everything passes.
    expect(filter.pass({ lines: [line('x')], droppedLines: 1 })).toEqual({
      lines: [line('x')],
      droppedLines: 1,
    });
    const other = new RepeatFilter({ lines: [line('x')], droppedLines: 0 });
    expect(other.pass({ lines: [line('w'), line('x')], droppedLines: 0 })?.lines.map((l) => l.text)).toEqual([
      'w',
      'x',
    ]);
  });

  test('reads a spill back as a chunk, and refuses one a hostile worker scribbled over', () => {
    const buffer = createSpillBuffer();
    const spill = new OutputSpill(buffer);
    expect(spill.read()).toBeUndefined();
    spill.hold(2, 'f', { level: 'warn', text: 'held\nback', at: 5 }, 0);
    spill.hold(2, 'f', undefined, 3);
    expect(spill.read()).toEqual({
      handoutOutput: 1,
      call: 2,
      fn: 'f',
      lines: [{ level: 'warn', text: 'held\nback', at: 5 }],
      droppedLines: 3,
    });
    // What the worker can write is only bytes: a line that is not an output line makes no chunk at all.
    const bytes = new Uint8Array(buffer, 16);
    bytes.set(new TextEncoder().encode('"f"\n{"level":"shout","text":"x","at":1}\n'));
    expect(spill.read()).toBeUndefined();
    bytes.set(new TextEncoder().encode('not json at all\n'));
    expect(spill.read()).toBeUndefined();
    spill.empty();
    expect(spill.read()).toBeUndefined();
  });

  test('refuses stray or malformed messages as chunks', () => {
    const good = {
      handoutOutput: 1,
      call: 0,
      fn: 'f',
      lines: [{ level: 'log', text: 'x', at: 1 }],
      droppedLines: 0,
    };
    expect(isOutputChunk(good)).toBe(true);
    expect(isOutputChunk({ ...good, id: undefined, handoutOutput: 2 })).toBe(false);
    expect(isOutputChunk({ ...good, lines: [{ level: 'shout', text: 'x', at: 1 }] })).toBe(false);
    expect(isOutputChunk({ ...good, lines: [{ level: 'log', text: 7, at: 1 }] })).toBe(false);
    expect(isOutputChunk({ ...good, droppedLines: -1 })).toBe(false);
    expect(isOutputChunk({ type: 'RETURN', id: 'abc' })).toBe(false);
  });

  test('keeps a call within the budget whatever its chunks claim', () => {
    const streamed = new StreamedOutput();
    const line = { level: 'log' as const, text: 'z'.repeat(1000), at: 0 };
    let keptLines = 0;
    for (let i = 0; i < 100; i++) {
      const kept = streamed.add({ handoutOutput: 1, call: 0, fn: 'f', lines: [line], droppedLines: 0 });
      keptLines += kept?.lines.length ?? 0;
    }
    const out = streamed.output()!;
    expect(outputSize(out)).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(out.lines).toHaveLength(keptLines);
    expect(out.lines.length + out.droppedLines).toBe(100);
  });
});
