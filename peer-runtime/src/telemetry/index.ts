/**
 * `@handout/peer-runtime/telemetry`: the one `Logger` (levels, structured fields, JSON and pretty sinks) that
 * the signaling server, peers, coordinators and the CLI share. Names of events, metrics and spans are listed in
 * docs/telemetry.md. Tracing (`traceRun`) is at `@handout/peer-runtime/tracing`, so that a signaling server that
 * only logs does not load OpenTelemetry.
 *
 * @module @handout/peer-runtime/telemetry
 */
export * from './logger.js';
