/** The DAG as data: types, validation, topological order, source checks and content hashing. */

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
