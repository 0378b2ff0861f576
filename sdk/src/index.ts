/**
 * @handout/sdk: what users touch. Build DAGs (`dag()`), import real workflow formats, run them locally
 * (`runLocal`) or on a mesh (`connect`). The model types and errors are re-exported from the runtime so one
 * import serves a user program.
 *
 * @module @handout/sdk
 */
// Values come from the runtime's light subpaths (`/dag`, `/local`), not its root, so that importing the SDK loads
// no signaling client, mesh roles or disk store: `connect()` loads those when it is called.
export type {
  AttemptOutput,
  AttemptRecord,
  FunctionOutput,
  FunctionRecord,
  FunctionStatus,
  OutputLevel,
  OutputLine,
  Run,
  RunEventName,
  RunEvents,
  RunStatus,
  RunSummary,
} from '@handout/peer-runtime';
export { CancelledError, PeerError, SandboxError, SkippedError, TaskError } from '@handout/peer-runtime/dag';
export { type RunLocalOptions, runLocal } from '@handout/peer-runtime/local';
// OpenTelemetry spans for a run (a no-op until the program registers an OpenTelemetry SDK; docs/telemetry.md).
export { SPAN_FUNCTION, SPAN_RUN, type TraceRunOptions, traceRun } from '@handout/peer-runtime/tracing';
export {
  type ConnectOptions,
  connect,
  type Mesh,
  MeshConnectError,
  type MeshSubmitOptions,
} from './connect.js';
// The builder and the importers (also alone at `@handout/sdk/dag`).
export * from './dag.js';
