/**
 * Content addressing. Every function gets a sha-256 over what determines its result, and results are cached
 * under that key on every peer, so the same DAG must hash the same in Node and in every browser. Hence a
 * canonical serialization of our own (canonical.ts: no reliance on key insertion order or engine quirks) and a
 * pure-JS, synchronous sha-256 (sha256.ts) instead of WebCrypto, which is async and absent on insecure origins.
 *
 * What a function's hash covers, and why:
 * - the code (the source text, or the module URL and export name) — the computation itself;
 * - `extraArgs` and `outputs` — they change what the code is called with and how its result is split;
 * - the hashes of its inputs, in `args` order, each with its output index — so a change anywhere upstream
 *   changes every hash downstream (a Merkle DAG), and identical sub-graphs share results.
 * Not covered: `id` (a name; identical functions under different ids are the same work and share one result),
 * `node`, `cost`, `timeoutMs`, `retries`, `cache` (they say where, how and whether to run, not what comes out).
 * Defaults are normalised first: no `extraArgs` hashes as `[]`, no `outputs` as 1.
 *
 * The preimage (version 2), byte by byte; integers are unsigned 32-bit big-endian:
 *
 *     "handout/function/v2\n"          20 ASCII bytes, so no other kind of preimage can collide with ours
 *     code digest                      32 bytes: sha-256 of canonicalStringify(code), where code is
 *                                      { kind: 'source', source } or { kind: 'module', module, export }
 *     outputs                          u32
 *     number of inputs                 u32
 *     per input, in args order:        32 bytes: the producer's content hash (raw, not hex)
 *                                      u32: 0 for the whole result, k + 1 for output k
 *     canonicalStringify(extraArgs)    UTF-8, up to the end (the only variable-length field, so it goes last)
 *
 * The hash is the lower-case hex sha-256 of that. Why this shape: 100,000 functions must hash in a fraction of
 * validation's time. Raw digests halve the sha-256 blocks of a JSON preimage with hex digests; every field
 * before the extra arguments is a whole number of 32-bit words, so the preimage is assembled and hashed as
 * words (sha256.ts) with digests copied eight words at a time; the code's own digest is computed once per
 * distinct source; and nothing is allocated per function but the extra-arguments text and the hex result.
 */
import { canonicalStringify, UnhashableValueError } from './canonical.js';
import { Utf8Sink, writeCanonical } from './canonical-utf8.js';
import { type IndexedOrder, inputsFirstIndices } from './order.js';
import { digestHex, paddedWords, sha256Into, sha256Words } from './sha256.js';
import { runSteps, STEP_FUNCTIONS } from './steps.js';
import type { CodeRef, FunctionSpec } from './types.js';

/** Bumped with the preimage layout, so old cache entries are never mistaken for new ones. */
const DOMAIN = 'handout/function/v2\n';
/** DOMAIN as big-endian words (its 20 bytes are exactly five). */
const DOMAIN_WORDS = Int32Array.from({ length: DOMAIN.length / 4 }, (_, k) =>
  [0, 1, 2, 3].reduce((word, b) => (word << 8) | DOMAIN.charCodeAt(4 * k + b), 0),
);
/** A digest is 8 words (32 bytes). */
const DIGEST_WORDS = 8;
const U32_MAX = 0xffffffff;

/** Scratch for UTF-8 text (sources, extra arguments); grown as needed, never shrunk. */
const sink = new Utf8Sink();
/** Scratch for a preimage as words; grown as needed, never shrunk. */
let words = new Int32Array(256);
/** One digest, for {@link sha256Hex}. */
const single = new Int32Array(DIGEST_WORDS);

/** Put `text` in the sink as UTF-8 and return its length. */
function utf8(text: string): number {
  sink.length = 0;
  sink.text(text);
  return sink.length;
}

/** Hex sha-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  const length = utf8(text); // first: it may replace sink.bytes with a larger array
  sha256Into(sink.bytes, length, single, 0);
  return digestHex(single, 0);
}

/** Hex sha-256 of a value's canonical serialization. */
export function hashValue(value: unknown): string {
  return sha256Hex(canonicalStringify(value));
}

/**
 * The content hash of every function, keyed by id (in the order given). Expects a DAG without cycles or
 * missing dependencies (throws DagValidationError otherwise, as `topologicalOrder` does); `extraArgs` that
 * cannot be serialised throw {@link UnhashableValueError} with the function id in the path.
 */
export function hashFunctions(functions: readonly FunctionSpec[]): Map<string, string> {
  const graph = inputsFirstIndices(functions);
  const byPosition = hashFunctionsByPosition(functions, graph);
  // The id → position map becomes id → hash: overwriting keys it already has is cheaper than a second map.
  const hashes = graph.indexById as Map<string, number | string>;
  for (let i = 0; i < functions.length; i++) hashes.set(functions[i]!.id, byPosition[i]!);
  return hashes as Map<string, string>;
}

/**
 * The content hash of `functions[i]` at index i. For callers that already hold the graph by position (the local
 * engine), this skips keying by id. `graph` (any order with inputs first, and the edges) defaults to
 * `inputsFirstIndices(functions)`.
 */
export function hashFunctionsByPosition(
  functions: readonly FunctionSpec[],
  graph: IndexedOrder = inputsFirstIndices(functions),
): string[] {
  return runSteps(hashFunctionsByPositionSteps(functions, graph));
}

/**
 * {@link hashFunctionsByPosition} in steps (dag/steps.ts): yields after every `every` functions. Safe to
 * interleave with other hashing: the module's scratch buffers carry nothing from one function to the next.
 */
export function* hashFunctionsByPositionSteps(
  functions: readonly FunctionSpec[],
  graph: IndexedOrder,
  every = STEP_FUNCTIONS,
): Generator<void, string[], void> {
  const { order, deps } = graph;
  const digests = new Int32Array(functions.length * DIGEST_WORDS);
  const hashes: string[] = new Array(functions.length);
  const codes = new CodeDigests();
  for (let k = 0; k < order.length; k++) {
    if (k > 0 && k % every === 0) yield;
    const i = order[k]!;
    const f = functions[i]!;
    // The code digest first: computing a new one reuses the byte scratch that the extra arguments go into.
    const code = codes.of(f.code);
    const extraLength = writeExtraArgs(f);
    const bytes = sink.bytes;
    const args = f.args ?? [];
    const fixedWords = DOMAIN_WORDS.length + DIGEST_WORDS + 2 + args.length * (DIGEST_WORDS + 1);
    const byteLength = fixedWords * 4 + extraLength;
    const room = paddedWords(byteLength);
    if (words.length < room) words = new Int32Array(Math.max(room, words.length * 2));
    const m = words;
    let at = 0;
    for (let d = 0; d < DOMAIN_WORDS.length; d++) m[at++] = DOMAIN_WORDS[d]!;
    for (let d = 0; d < DIGEST_WORDS; d++) m[at++] = code[d]!;
    m[at++] = checkedCount(f.outputs ?? 1, 1, f, 'outputs');
    m[at++] = args.length;
    const firstEdge = deps.start[i]!;
    for (let a = 0; a < args.length; a++) {
      const from = deps.targets[firstEdge + a]! * DIGEST_WORDS;
      for (let d = 0; d < DIGEST_WORDS; d++) m[at++] = digests[from + d]!;
      const ref = args[a]!;
      m[at++] = typeof ref === 'string' ? 0 : checkedCount(ref[1], 0, f, `args[${a}][1]`) + 1;
    }
    // The extra arguments' bytes, packed big-endian after the fixed words.
    for (let j = 0; j < extraLength; j += 4) {
      m[at++] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    }
    sha256Words(m, byteLength, digests, i * DIGEST_WORDS);
    hashes[i] = digestHex(digests, i * DIGEST_WORDS);
  }
  return hashes;
}

/** An integer that fits its u32 field (the DAG was validated, but a bad one must fail loudly, not wrap). */
function checkedCount(value: number, min: number, f: FunctionSpec, field: string): number {
  if (Number.isInteger(value) && value >= min && value < U32_MAX) return value;
  throw new UnhashableValueError(
    `function '${f.id}'.${field}`,
    `${value} is not an integer from ${min} to ${U32_MAX - 1}`,
  );
}

/**
 * The UTF-8 of `canonicalStringify(f.extraArgs ?? [])` into the sink; returns its length. Plain data is written
 * straight into the bytes (canonical-utf8.ts); anything else goes through canonicalStringify, which also names
 * the culprit when a value cannot be hashed.
 */
function writeExtraArgs(f: FunctionSpec): number {
  sink.length = 0;
  const extra = f.extraArgs ?? [];
  if (writeCanonical(extra, sink)) return sink.length;
  return utf8(canonicalStringify(extra, `function '${f.id}'.extraArgs`));
}

/**
 * Code digests, each computed once per distinct source text or module reference: a DAG of 100,000 functions
 * usually shares a handful of sources, and a source can be kilobytes long.
 */
class CodeDigests {
  private readonly bySource = new Map<string, Int32Array>();
  private readonly byModule = new Map<string, Int32Array>();
  private lastCode: CodeRef | undefined;
  private lastDigest: Int32Array | undefined;

  of(code: CodeRef): Int32Array {
    // Builders usually share one code object per source; identity is the cheapest test.
    if (code === this.lastCode) return this.lastDigest!;
    let digest: Int32Array | undefined;
    if (code.kind === 'source') {
      digest = this.bySource.get(code.source);
      if (digest === undefined) {
        digest = digestOf({ kind: 'source', source: code.source });
        this.bySource.set(code.source, digest);
      }
    } else {
      const key = `${code.module}\0${code.export}`;
      digest = this.byModule.get(key);
      if (digest === undefined) {
        digest = digestOf({ kind: 'module', module: code.module, export: code.export });
        this.byModule.set(key, digest);
      }
    }
    this.lastCode = code;
    this.lastDigest = digest;
    return digest;
  }
}

function digestOf(code: CodeRef): Int32Array {
  const digest = new Int32Array(DIGEST_WORDS);
  const length = utf8(canonicalStringify(code, 'code')); // first: it may replace sink.bytes
  sha256Into(sink.bytes, length, digest, 0);
  return digest;
}
