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
import { SPAN_FUNCTION, SPAN_RUN, traceRun } from '../../src/telemetry/tracing.js';
import { fn } from '../engine/helpers.js';

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
