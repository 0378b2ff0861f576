/**
 * `@handout/peer-runtime/telemetry`: the one `Logger` (levels, structured fields, JSON and pretty sinks) that
 * the signaling server, peers, coordinators and the CLI share. Names of events, metrics and spans are listed in
 * docs/telemetry.md.
 *
 * @module @handout/peer-runtime/telemetry
 */
export * from './logger.js';
