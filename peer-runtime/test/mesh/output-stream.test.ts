/**
 * Live function output on an in-process mesh (memory transport, real worker_threads): peers stream what a
 * function prints as `task:output` while it runs, the coordinator accepts it only for attempts it assigned and
 * only up to the budget, and a remote submitter sees it while the function still runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OUTPUT_LIMIT_CHARS, outputSize } from '../../src/run/output.js';
import type { RunEvents } from '../../src/run/types.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

describe('live function output on a mesh', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('a remote submitter sees a print while its function still runs, and the record keeps the whole attempt', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn(
        'slow',
        [],
        'async () => { console.log("first"); await new Promise((r) => setTimeout(r, 1500)); console.log("second"); return 7; }',
      ),
    ]);
    const seen: { text: string; status: string }[] = [];
    run.on('function:log', (e: RunEvents['function:log']) => {
      for (const line of e.lines) seen.push({ text: line.text, status: run.record('slow').status });
    });
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    // "first" arrived while the function was still running on p1: it was streamed, not sent with the result.
    expect(seen[0]).toEqual({ text: 'first', status: 'running' });
    expect(seen.map((s) => s.text)).toEqual(['first', 'second']);
    const record = summary.functions[0]!;
    expect(record.logs).toHaveLength(1);
    expect(record.logs![0]).toMatchObject({ attempt: 1, peer: 'p1', droppedLines: 0 });
    expect(record.logs![0]!.lines.map((l) => l.text)).toEqual(['first', 'second']);
  });

  it('prints before a timeout killed the worker reach the submitter, with the failure', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('spins', [], '() => { console.warn("going in"); for (;;) {} }', { timeoutMs: 800 }),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const record = summary.functions[0]!;
    expect(record.error?.reason).toBe('timeout');
    expect(record.logs?.[0]?.lines.map((l) => [l.level, l.text])).toEqual([['warn', 'going in']]);
  });

  it('a function printing past the budget reaches the submitter cut at it, the rest counted', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('floods', [], '() => { for (let i = 0; i < 50000; i++) console.log("x".repeat(20), i); return 1; }'),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    const log = summary.functions[0]!.logs![0]!;
    expect(outputSize(log)).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(log.lines.length).toBeGreaterThan(1000);
    expect(log.droppedLines).toBeGreaterThan(0);
  });

  it('task:output for an attempt never assigned to its sender is refused and prints nowhere', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const stranger = mesh.addAgent({ id: 'stranger' });
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('victim', [], 'async () => { await new Promise((r) => setTimeout(r, 600)); return 1; }', {
        node: { peer: 'p1' },
      }),
    ]);
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    await stranger.transport.send('coord', {
      type: 'task:output',
      runId: 'r1',
      functionId: 'victim',
      hash: run.record('victim').hash,
      attempt: 1,
      lines: [{ level: 'log', text: 'injected', at: Date.now() }],
      droppedLines: 0,
    });
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions[0]!.logs).toBeUndefined();
    expect(mesh.coordinator.refusals().get('task:output assignment')).toBe(1);
  });
});
