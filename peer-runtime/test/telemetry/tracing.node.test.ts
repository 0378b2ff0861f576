import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, test } from 'vitest';
import { runLocal } from '../../src/engine/run-local.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import {
  SPAN_ASSIGNED,
  SPAN_EXECUTE,
  SPAN_FUNCTION,
  SPAN_INPUTS,
  SPAN_QUEUED,
  SPAN_RUN,
  SPAN_STORE,
  traceRun,
} from '../../src/telemetry/tracing.js';
import { fn } from '../engine/helpers.js';
import { createTestMesh } from '../mesh/helpers.js';

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('test') };
}

const attr = (s: ReadableSpan, k: string) => s.attributes[k];

describe('OpenTelemetry spans of a run', () => {
  test('one run span and one span per attempt under it, with peer, attempt, hash, and failures as errors', async () => {
    const { exporter, tracer: t } = tracer();
    const run = runLocal(
      [
        fn('a', [], '() => 1'),
        fn('flaky', ['a'], '() => { throw new Error("no luck") }', { retries: 1 }),
        fn('b', ['a'], '(x) => x + 1'),
      ],
      { concurrency: 1, retryBackoffMs: 1 },
    );
    const root = traceRun(run, { tracer: t });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const spans = exporter.getFinishedSpans();
    const runSpan = spans.find((s) => s.name === SPAN_RUN)!;
    expect(runSpan.spanContext().spanId).toBe(root.spanContext().spanId);
    expect(attr(runSpan, 'handout.run.id')).toBe(run.id);
    expect(attr(runSpan, 'handout.run.status')).toBe('failed');
    expect(runSpan.status.code).toBe(SpanStatusCode.ERROR);
    const fns = spans.filter((s) => s.name === SPAN_FUNCTION);
    // a, b, and two attempts of flaky.
    expect(
      fns.map((s) => `${attr(s, 'handout.function.id')}#${attr(s, 'handout.function.attempt')}`).sort(),
    ).toEqual(['a#1', 'b#1', 'flaky#1', 'flaky#2']);
    for (const s of fns) {
      expect(s.parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(runSpan.spanContext().traceId);
      expect(String(attr(s, 'handout.peer'))).toMatch(/^local:\d+$/);
      expect(String(attr(s, 'handout.function.hash'))).toMatch(/^[0-9a-f]{64}$/);
    }
    const flaky = fns.filter((s) => attr(s, 'handout.function.id') === 'flaky');
    for (const s of flaky) {
      expect(s.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'no luck' });
      expect(attr(s, 'handout.failure.reason')).toBe('threw');
      expect(s.events.some((e) => e.name === 'exception')).toBe(true);
    }
    expect(flaky.map((s) => attr(s, 'handout.failure.final')).sort()).toEqual([false, true]);
    const ok = fns.find((s) => attr(s, 'handout.function.id') === 'b')!;
    expect(ok.status.code).toBe(SpanStatusCode.OK);
    expect(attr(ok, 'handout.function.cached')).toBe(false);
  });

  test('a function served from the cache gets a zero-length span marked cached', async () => {
    const store = createMemoryStore();
    await runLocal([fn('a', [], '() => 41')], { store }).done;
    const { exporter, tracer: t } = tracer();
    const run = runLocal([fn('a', [], '() => 41')], { store });
    traceRun(run, { tracer: t });
    await run.done;
    const span = exporter.getFinishedSpans().find((s) => s.name === SPAN_FUNCTION)!;
    expect(attr(span, 'handout.function.cached')).toBe(true);
  });

  test('without a registered SDK the default tracer records nothing and the run is unaffected', async () => {
    const run = runLocal([fn('a', [], '() => 1')]);
    const root = traceRun(run);
    expect((await run.done).status).toBe('succeeded');
    expect(root.isRecording()).toBe(false);
  });
});

const BUSY_60 = '(x) => { const end = Date.now() + 60; while (Date.now() < end) {} return (x ?? 0) + 1; }';
const PHASES = [SPAN_QUEUED, SPAN_ASSIGNED, SPAN_INPUTS, SPAN_EXECUTE, SPAN_STORE];
const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** The phase spans under each attempt span, by function id: names in start order, and the execute span. */
function phasesByFunction(spans: readonly ReadableSpan[]) {
  const out = new Map<string, { names: string[]; execute?: ReadableSpan; parent: ReadableSpan }>();
  for (const f of spans.filter((s) => s.name === SPAN_FUNCTION)) {
    const children = spans
      .filter((s) => s.parentSpanContext?.spanId === f.spanContext().spanId)
      .sort((a, b) => ms(a.startTime) - ms(b.startTime) || PHASES.indexOf(a.name) - PHASES.indexOf(b.name));
    out.set(String(attr(f, 'handout.function.id')), {
      names: children.map((c) => c.name),
      execute: children.find((c) => c.name === SPAN_EXECUTE),
      parent: f,
    });
  }
  return out;
}

describe('phases inside an attempt', () => {
  test('locally: queued, assigned, inputs, execute and store spans under each attempt, the execute span its run', async () => {
    const { exporter, tracer: t } = tracer();
    const run = runLocal([fn('a', [], BUSY_60), fn('b', ['a'], BUSY_60)], { concurrency: 1 });
    traceRun(run, { tracer: t });
    expect((await run.done).status).toBe('succeeded');
    const spans = exporter.getFinishedSpans();
    const phases = phasesByFunction(spans);
    for (const id of ['a', 'b']) {
      const p = phases.get(id)!;
      expect(p.names).toEqual(PHASES);
      const exec = p.execute!;
      expect(ms(exec.duration)).toBeGreaterThanOrEqual(55);
      expect(attr(exec, 'handout.peer')).toBe(attr(p.parent, 'handout.peer'));
      expect(String(attr(exec, 'handout.function.hash'))).toMatch(/^[0-9a-f]{64}$/);
      // Within its attempt: the store phase ends when the attempt does.
      expect(ms(exec.endTime)).toBeLessThanOrEqual(ms(p.parent.endTime) + 0.001);
    }
  });

  test('on a mesh: the phases a peer measured reach the remote submitter and its trace, named by the peer', async () => {
    const mesh = createTestMesh([{ id: 'p1' }]);
    try {
      const { exporter, tracer: t } = tracer();
      const run = submitRemote(mesh.submitter('alice'), 'coord', [
        fn('a', [], BUSY_60),
        fn('b', ['a'], BUSY_60),
      ]);
      traceRun(run, { tracer: t });
      expect((await run.done).status).toBe('succeeded');
      const record = run.records().find((r) => r.id === 'b')!;
      const phases = record.history.at(-1)!.phases!;
      expect(phases.runMs).toBeGreaterThanOrEqual(55);
      const byFunction = phasesByFunction(exporter.getFinishedSpans());
      for (const id of ['a', 'b']) {
        const p = byFunction.get(id)!;
        expect(p.names).toEqual(PHASES);
        expect(attr(p.execute!, 'handout.peer')).toBe('p1');
        expect(ms(p.execute!.duration)).toBeGreaterThanOrEqual(55);
      }
    } finally {
      await mesh.close();
    }
  });
});
