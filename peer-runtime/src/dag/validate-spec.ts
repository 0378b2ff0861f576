/**
 * The one definition of a function spec's shape (and of the DAG JSON around it), in the validation kit
 * (../schema). Every boundary that receives specs reads them with these schemas: DAG validation (validate.ts,
 * which adds what is not shape: references, cycles, code that can travel), the protocol's `task:assign` and
 * `dag:submit` (protocol/messages-validate.ts), and through them the SDK's builder and the CLI's loader. The
 * JSON Schema of DagJSON (docs/dag.schema.json) is exported from here too.
 *
 * Unknown keys are refused at every level of a spec, naming the key with a "did you mean" for a near miss
 * (`timeout` → `timeoutMs`): a typo would otherwise be a setting silently ignored.
 */

import {
  boolean,
  byKind,
  choice,
  constant,
  data,
  dict,
  list,
  number,
  object,
  optional,
  refine,
  type Schema,
  string,
  toJsonSchema,
  tuple,
  variant,
} from '../schema/index.js';
import { findUnhashable } from './canonical.js';
import type { ArgRef, CodeRef, Cost, DagJSON, FunctionSpec, NodeSelector, VerifyOptions } from './types.js';

/** Longest id of a function, a producer, a peer or a tag: 1024 characters. */
export const MAX_ID = 1024;
/** Longest source text of one function: 4 MiB of characters. */
export const MAX_SOURCE = 4 * 1024 * 1024;
/** Longest module URL or export name. */
export const MAX_NAME = 64 * 1024;
/** Most arguments of a function, or items of a list. */
export const MAX_ITEMS = 100_000;
/**
 * Most functions in a DAG: ten million (issue 16 asks that a 10M-function DAG run on one 24 GiB machine). Above
 * MAX_ITEMS so that DAGs past 100,000 functions validate; what a remote submission may carry is bounded apart,
 * by the wire's limits on one message (docs/protocol.md).
 */
export const MAX_FUNCTIONS = 10_000_000;

/** C0 and C1 control characters (NUL included): never part of an id. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A non-empty id of at most MAX_ID characters without control characters. Any other character is fine (long
 * unicode ids, `__proto__`, `constructor`: ids travel as values in lists and Maps, never as object keys), but a
 * NUL or another control character is refused: internal keys join ids with NUL (`${peer}\0${runId}`), where a
 * NUL inside an id could make two different pairs collide, and control characters in ids garble every log line
 * and error message that names them.
 */
export const idSchema: Schema<string> = refine(
  string({ min: 1, max: MAX_ID, name: 'a non-empty id' }),
  (id) => {
    const at = id.search(CONTROL);
    if (at < 0) return undefined;
    const code = id.charCodeAt(at).toString(16).padStart(4, '0').toUpperCase();
    return { complaint: `must not contain control characters (U+${code} at index ${at})` };
  },
);

/** A function's id (and a producer named in args). */
const functionId: Schema<string> = idSchema;

const outputIndex = number({ integer: true, min: 0, name: 'an output index (an integer >= 0)' });

const argRef: Schema<ArgRef> = byKind<ArgRef>(
  {
    string: idSchema,
    array: tuple<readonly [string, number]>([idSchema, outputIndex], 'a [producerId, outputIndex] pair'),
  },
  'a producer id or a [producerId, outputIndex] pair',
);

const nonEmptyName = string({ min: 1, max: MAX_NAME });

const codeRef: Schema<CodeRef> = variant<CodeRef>(
  'kind',
  {
    source: object<Extract<CodeRef, { kind: 'source' }>>(
      { kind: choice(['source']), source: string({ max: MAX_SOURCE }) },
      { unknownKeys: 'refuse', known: 'a field of source code' },
    ),
    module: object<Extract<CodeRef, { kind: 'module' }>>(
      { kind: choice(['module']), module: nonEmptyName, export: nonEmptyName },
      { unknownKeys: 'refuse', known: 'a field of a module reference' },
    ),
  },
  "'source' or 'module'",
  "{ kind: 'source', source } or { kind: 'module', module, export }",
);

const selector = object<Exclude<NodeSelector, string>>(
  {
    peer: optional(idSchema),
    platform: optional(choice(['node', 'browser'])),
    tags: optional(list(idSchema, { max: 256 })),
    gpu: optional(boolean()),
  },
  { unknownKeys: 'refuse', known: 'a node selector field' },
);

const nodeSelector: Schema<NodeSelector> = byKind<NodeSelector>(
  { string: idSchema, object: selector },
  'a peer id or a selector { peer, platform, tags, gpu }',
);

const amount = number({ min: 0 });

const cost = object<Cost>(
  {
    cpu: optional(amount),
    memoryMB: optional(amount),
    gpu: optional(boolean()),
    estimateMs: optional(amount),
    resources: optional(dict(amount, { max: 256 })),
  },
  { unknownKeys: 'refuse', known: 'a cost field (custom resources go in cost.resources)' },
);

/**
 * A function's verification policy. Ranges each field can have alone are checked here (so `handout validate`
 * names them); how fields bound each other (quorum ≤ replicas ≤ maxReplicas) is verifyPolicy's, at submission.
 */
const verifyOptions = object<VerifyOptions>(
  {
    replicas: number({ integer: true, min: 1, max: 16, name: 'a whole number from 1 to 16' }),
    quorum: optional(number({ integer: true, min: 2, max: 16, name: 'a whole number from 2 to 16' })),
    maxReplicas: optional(number({ integer: true, min: 1, max: 16, name: 'a whole number from 1 to 16' })),
    spotCheckRate: optional(number({ min: 0, max: 1 })),
    trustAfter: optional(number({ integer: true, min: 1, name: 'a whole number >= 1' })),
  },
  { unknownKeys: 'refuse', known: 'a verify field' },
);

const verify: Schema<VerifyOptions | false> = byKind<VerifyOptions | false>(
  { boolean: constant(false), object: verifyOptions },
  'false or a policy { replicas, quorum, maxReplicas, spotCheckRate, trustAfter }',
);

/** Extra args must have a canonical form, or the function cannot be hashed (and cached): canonical.ts decides. */
const extraArg = data({ maxDepth: 64, exotic: (value) => findUnhashable(value, '') });

export const functionSpecSchema = object<FunctionSpec>(
  {
    id: functionId,
    args: optional(list(argRef, { max: MAX_ITEMS }), () => []),
    code: codeRef,
    outputs: optional(number({ integer: true, min: 1 })),
    node: optional(nodeSelector),
    cost: optional(cost),
    extraArgs: optional(list(extraArg, { max: MAX_ITEMS })),
    timeoutMs: optional(number({ integer: true, above: 0, name: 'a whole number of milliseconds > 0' })),
    retries: optional(number({ integer: true, min: 0, name: 'a whole number >= 0' })),
    cache: optional(boolean()),
    deterministic: optional(boolean()),
    verify: optional(verify),
  },
  { unknownKeys: 'refuse', known: 'a function spec field', name: 'a function spec object' },
);

/** The names a function spec may have, in checking order. */
export const FUNCTION_SPEC_KEYS: readonly string[] = functionSpecSchema.keys;

/** Handout's DAG JSON (`handout.json`, `dag:submit`). Keys beside these three are left out, not refused. */
export const dagJsonSchema = object<DagJSON>({
  format: choice(['handout-dag']),
  version: constant(1),
  functions: list(functionSpecSchema, { max: MAX_FUNCTIONS }),
});

/** Where the JSON Schema of DagJSON is published, relative to the repository root. */
export const DAG_JSON_SCHEMA_PATH = 'docs/dag.schema.json';

/**
 * The JSON Schema (draft 2020-12) of Handout's DAG JSON, from the same definition validateDag reads with, for
 * editors and other tools. It says the shape only: references, cycles and whether code can travel are
 * validateDag's (and string lengths count UTF-16 units here, code points there).
 */
export function dagJsonSchemaDocument(): Record<string, unknown> {
  return toJsonSchema(dagJsonSchema, {
    $id: 'urn:handout:schema:dag:1',
    title: 'Handout DAG (format handout-dag, version 1)',
  });
}
