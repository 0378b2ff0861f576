/**
 * OpenTelemetry spans for a run, through `@opentelemetry/api`: one `handout.run` span for the run and, under it,
 * one `handout.function` span per function attempt (from `task:started` to its end), so a trace viewer shows
 * where the time went and which peer ran what. Under each attempt, its phases: `handout.queued` (from the
 * function being queued, or re-queued after a failure, to its assignment; it starts before its attempt span,
 * which is where the attempt's own time begins), then `handout.assigned` (the assignment's trip, waiting for a
 * worker slot and, on a mesh, the report's trip back), `handout.inputs` (getting its inputs: inline, from the
 * store, or fetched from holders), `handout.execute` (in a worker) and `handout.store` (encoding and keeping the
 * result). The last three are the durations the running peer measured (AttemptPhases, run/types.ts) on its own
 * clock, which is not ours: they are laid back to back so that the store phase ends with the attempt, and
 * `handout.assigned` is what remains. A peer of an older version reports no phases: its attempts have none.
 *
 * Off by default: nothing is traced unless `traceRun(run)` is called, and the API is itself a no-op until the
 * program registers an OpenTelemetry SDK (or passes its own `tracer`). It works for local and mesh runs alike,
 * since it follows the run's events (run/types.ts) where the run was submitted, and the phases each peer reports
 * with its outcome reach the submitter's records.
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
import { type Attributes, context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { AttemptPhases, FunctionRecord, Run, RunSummary } from '../run/types.js';

export interface TraceRunOptions {
  /** Default: `trace.getTracer('handout')`, the globally registered provider's (a no-op without one). */
  readonly tracer?: Tracer;
}

/** Span and attribute names, one namespace with docs/telemetry.md's. */
export const SPAN_RUN = 'handout.run';
export const SPAN_FUNCTION = 'handout.function';
/** The phases of an attempt, children of its SPAN_FUNCTION span, in order. */
export const SPAN_QUEUED = 'handout.queued';
export const SPAN_ASSIGNED = 'handout.assigned';
export const SPAN_INPUTS = 'handout.inputs';
export const SPAN_EXECUTE = 'handout.execute';
export const SPAN_STORE = 'handout.store';

/** Traces `run` until it is done. Call right after submitting (before its first events). Returns the run span. */
export function traceRun(run: Run, options: TraceRunOptions = {}): Span {
  const tracer = options.tracer ?? trace.getTracer('handout');
  const root = tracer.startSpan(SPAN_RUN, { attributes: { 'handout.run.id': run.id } });
  const parent = trace.setSpan(context.active(), root);
  const open = new Map<string, Span>();
  const queuedAt = new Map<string, number>();
  // One index, built on first use: records() is the live list (its objects are updated in place), and a
  // search of it per event made tracing a big run quadratic.
  let index: Map<string, FunctionRecord> | undefined;
  const recordOf = (id: string): FunctionRecord | undefined => {
    index ??= new Map(run.records().map((r) => [r.id, r]));
    return index.get(id);
  };
  const hashOf = (id: string): string | undefined => recordOf(id)?.hash;
  const endPhases = (span: Span, id: string, attempt: number, peer: string, end: number): void => {
    const startedAt = started.get(span);
    if (startedAt === undefined) return;
    const record = recordOf(id);
    const attributes = {
      'handout.function.id': id,
      'handout.function.attempt': attempt,
      'handout.peer': peer,
      ...(record?.hash !== undefined && { 'handout.function.hash': record.hash }),
    };
    const phases = record && phasesOf(record, attempt, peer);
    drawPhases(tracer, span, attributes, { startedAt, queued: queuedAt.get(id), end, phases });
  };
  const started = new WeakMap<Span, number>();
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
      started.set(span, at);
    }),
    run.on('task:succeeded', ({ id, attempt, peer, at, cached }) => {
      let span = open.get(id);
      open.delete(id);
      if (span) endPhases(span, id, attempt, peer, at);
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
    run.on('task:failed', ({ id, attempt, peer, at, error, final }) => {
      const span = open.get(id);
      if (span) endPhases(span, id, attempt, peer, at);
      // Not final: queued again from now (its next attempt's queued phase).
      if (!final) queuedAt.set(id, at);
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
      endRunSpan(root, summary);
      for (const off of offs) off();
    }),
  ];
  return root;
}

/** The phases the record holds for its attempt `attempt` on `peer` (set before the attempt's end event). */
function phasesOf(record: FunctionRecord, attempt: number, peer: string): AttemptPhases | undefined {
  const history = record.history;
  for (let k = history.length - 1; k >= 0; k--) {
    const a = history[k]!;
    if (a.attempt === attempt && a.peer === peer) return a.phases;
  }
  return undefined;
}

/** The phase spans of an attempt ending at `end`, children of its function span (layout: the module header). */
function drawPhases(
  tracer: Tracer,
  span: Span,
  attributes: Attributes,
  at: { startedAt: number; queued: number | undefined; end: number; phases: AttemptPhases | undefined },
): void {
  const { startedAt, queued, end, phases } = at;
  const phaseParent = trace.setSpan(context.active(), span);
  const child = (name: string, from: number, to: number): void => {
    tracer.startSpan(name, { startTime: from, attributes }, phaseParent).end(Math.max(from, to));
  };
  // A remote submitter hears of the queueing after the coordinator did it, and the start is on the
  // coordinator's clock: a queue time after the start is drawn as a zero-length queued phase.
  if (queued !== undefined) child(SPAN_QUEUED, Math.min(queued, startedAt), startedAt);
  if (!phases) return;
  const onPeer = phases.fetchMs + phases.runMs + phases.storeMs;
  let from = Math.max(startedAt, end - onPeer);
  child(SPAN_ASSIGNED, startedAt, from);
  for (const [name, ms] of [
    [SPAN_INPUTS, phases.fetchMs],
    [SPAN_EXECUTE, phases.runMs],
    [SPAN_STORE, phases.storeMs],
  ] as const) {
    const to = Math.min(end, from + ms);
    child(name, from, to);
    from = to;
  }
}

/** The run span's summary attributes and status, then its end. */
function endRunSpan(root: Span, summary: RunSummary): void {
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
}
