/**
 * The DAG as data: types, validation, topological order, source checks and content hashing.
 *
 * @module @handout/peer-runtime/dag
 */

// The typed errors travel with the model, so `@handout/peer-runtime/dag` (the builder's and the CLI's import)
// is enough to validate and to branch on every error without loading the mesh, transports or stores.
export {
  CancelledError,
  type DagIssue,
  DagValidationError,
  HandoutError,
  PeerError,
  ProtocolError,
  SandboxError,
  SkippedError,
  TaskError,
} from '../errors.js';
export { canonicalStringify, UnhashableValueError } from './canonical.js';
export { findCycles } from './cycles.js';
export { hashFunctions, hashFunctionsByPosition, hashValue, sha256Hex } from './hash.js';
export { topologicalOrder } from './order.js';
export { PORTABLE_GLOBALS } from './portable-globals.js';
export {
  checkSource,
  type NormalizedSource,
  normalizeFunctionSource,
  type SourceCheck,
} from './source-check.js';
export type { ArgRef, CodeRef, Cost, DagInput, DagJSON, FunctionSpec, NodeSelector } from './types.js';
export { dagData, parseArgRef } from './types.js';
export { assertValidDag, validateDag } from './validate.js';
export { DAG_JSON_SCHEMA_PATH, dagJsonSchemaDocument, FUNCTION_SPEC_KEYS } from './validate-spec.js';
