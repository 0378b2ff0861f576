/**
 * `@handout/sdk/dag`: the DAG builder and the importers (WfFormat, STG, format detection), with the model's
 * types and errors, and nothing that runs DAGs: no worker pool, WebRTC or signaling client is loaded. The
 * `handout` CLI loads DAG files through this entry, so `handout validate` starts in a fraction of the time the
 * whole SDK takes; programs that also run DAGs import `@handout/sdk`, which re-exports all of this.
 *
 * @module @handout/sdk/dag
 */
export {
  type ArgRef,
  type CodeRef,
  type Cost,
  type DagInput,
  type DagIssue,
  type DagJSON,
  DagValidationError,
  type FunctionSpec,
  HandoutError,
  type NodeSelector,
  validateDag,
} from '@handout/peer-runtime/dag';
export { Dag, type DagBuilder, dag, type FnOptions, type FunctionCode } from './builder.js';
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
