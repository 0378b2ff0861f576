/**
 * @handout/sdk: what users touch. Build DAGs (`dag()`), import real workflow formats, run them locally
 * (`runLocal`) or on a mesh (`connect`). The model types and errors are re-exported from the runtime so one
 * import serves a user program.
 */
export {
  type ArgRef,
  type AttemptRecord,
  CancelledError,
  type CodeRef,
  type Cost,
  type DagInput,
  type DagIssue,
  type DagJSON,
  DagValidationError,
  type FunctionRecord,
  type FunctionSpec,
  type FunctionStatus,
  HandoutError,
  type NodeSelector,
  PeerError,
  type Run,
  type RunEventName,
  type RunEvents,
  type RunLocalOptions,
  type RunStatus,
  type RunSummary,
  runLocal,
  SandboxError,
  SkippedError,
  TaskError,
  validateDag,
} from '@handout/peer-runtime';
export { Dag, type DagBuilder, dag, type FnOptions, type FunctionCode } from './builder.js';
export {
  type ConnectOptions,
  connect,
  type Mesh,
  MeshConnectError,
  type MeshSubmitOptions,
} from './connect.js';
export {
  type DagTextFormat,
  type DetectDagFormatOptions,
  type DetectedDagText,
  detectDagFormat,
  type ParseDagTextOptions,
  parseDagText,
  UnknownDagFormatError,
} from './importers/detect.js';
export { parseStg, type StgOptions, StgParseError } from './importers/stg.js';
export { parseWfFormat, WfFormatError, type WfFormatOptions } from './importers/wfformat.js';
