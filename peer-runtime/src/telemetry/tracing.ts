/**
 * OpenTelemetry spans for a run, through `@opentelemetry/api`: one `handout.run` span for the run and, under it,
 * one `handout.function` span per function attempt (from `task:started` to its end), so a trace viewer shows
 * where the time went and which peer ran what.
 *
 * Off by default: nothing is traced unless `traceRun(run)` is called, and the API is itself a no-op until the
 * program registers an OpenTelemetry SDK (or passes its own `tracer`). It works for local and mesh runs alike,
 * since it follows the run's events (run/types.ts) where the run was submitted; what happens inside a peer
 * between assignment and result (input fetches, the cache write) is not seen from there, so attempts are one
 * span each, not phases.
 *
 *   import { trace } from '@opentelemetry/api';
 *   import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
 *   const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
 *   trace.setGlobalTracerProvider(provider);
 *   const run = runLocal(dag);
 *   traceRun(run);
 *
 * @module @handout/peer-runtime/tracing
 */
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Run } from '../run/types.js';

export interface TraceRunOptions {
  /** Default: `trace.getTracer('handout')`, the globally registered provider's (a no-op without one). */
  readonly tracer?: Tracer;
}

/** Span and attribute names, one namespace with docs/telemetry.md's. */
export const SPAN_RUN = 'handout.run';
export const SPAN_FUNCTION = 'handout.function';

/** Traces `run` until it is done. Call right after submitting (before its first events). Returns the run span. */
export function traceRun(run: Run, options: TraceRunOptions = {}): Span {
  const tracer = options.tracer ?? trace.getTracer('handout');
  const root = tracer.startSpan(SPAN_RUN, { attributes: { 'handout.run.id': run.id } });
  const parent = trace.setSpan(context.active(), root);
  const open = new Map<string, Span>();
  const queuedAt = new Map<string, number>();
  const hashOf = (id: string): string | undefined => run.records().find((r) => r.id === id)?.hash;
  const offs = [
    run.on('task:queued', ({ id }) => {
      if (!queuedAt.has(id)) queuedAt.set(id, Date.now());
    }),
    run.on('task:started', ({ id, attempt, peer, at }) => {
      open.get(id)?.end(at); // a duplicate attempt's start closes nothing else; keep one span per function open
      const queued = queuedAt.get(id);
      const span = tracer.startSpan(
        SPAN_FUNCTION,
        {
          startTime: at,
          attributes: {
            'handout.function.id': id,
            'handout.function.attempt': attempt,
            'handout.peer': peer,
            ...(hashOf(id) !== undefined && { 'handout.function.hash': hashOf(id)! }),
            ...(queued !== undefined && { 'handout.function.queued_ms': Math.max(0, at - queued) }),
          },
        },
        parent,
      );
      open.set(id, span);
    }),
    run.on('task:succeeded', ({ id, peer, at, cached }) => {
      let span = open.get(id);
      open.delete(id);
      // A function served from a cache never started: a zero-length span still says it was there.
      span ??= tracer.startSpan(
        SPAN_FUNCTION,
        { startTime: at, attributes: { 'handout.function.id': id, 'handout.peer': peer } },
        parent,
      );
      span.setAttribute('handout.function.cached', cached);
      span.setStatus({ code: SpanStatusCode.OK });
      span.end(at);
    }),
    run.on('task:failed', ({ id, at, error, final }) => {
      const span = open.get(id);
      if (!span) return;
      open.delete(id);
      span.setAttributes({ 'handout.failure.reason': error.reason, 'handout.failure.final': final });
      span.recordException({ name: error.name, message: error.originalMessage });
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.originalMessage });
      span.end(at);
    }),
    run.on('run:done', (summary) => {
      for (const span of open.values()) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'ended with its run (cancelled)' });
        span.end(summary.endedAt);
      }
      open.clear();
      const count = (s: string) => summary.functions.filter((r) => r.status === s).length;
      root.setAttributes({
        'handout.run.status': summary.status,
        'handout.run.functions': summary.functions.length,
        'handout.run.succeeded': count('succeeded'),
        'handout.run.failed': count('failed'),
      });
      root.setStatus(
        summary.status === 'succeeded'
          ? { code: SpanStatusCode.OK }
          : { code: SpanStatusCode.ERROR, message: summary.status },
      );
      root.end(summary.endedAt);
      for (const off of offs) off();
    }),
  ];
  return root;
}
