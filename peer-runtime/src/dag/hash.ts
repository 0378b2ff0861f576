/**
 * Content addressing. Every function gets a sha-256 over what determines its result, and results are cached
 * under that key on every peer, so the same DAG must hash the same in Node and in every browser. Hence a
 * canonical serialization of our own (no reliance on key insertion order or engine quirks) and a pure-JS,
 * synchronous sha-256 (@noble/hashes) instead of WebCrypto, which is async and absent on insecure origins.
 *
 * What a function's hash covers, and why:
 * - the code (the source text, or the module URL and export name) — the computation itself;
 * - `extraArgs` and `outputs` — they change what the code is called with and how its result is split;
 * - the hashes of its inputs, in `args` order, each with its output index — so a change anywhere upstream
 *   changes every hash downstream (a Merkle DAG), and identical sub-graphs share results.
 * Not covered: `id` (a name; identical functions under different ids are the same work and share one result),
 * `node`, `cost`, `timeoutMs`, `retries`, `cache` (they say where, how and whether to run, not what comes out).
 * Defaults are normalised first: no `extraArgs` hashes as `[]`, no `outputs` as 1.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { HandoutError } from '../errors.js';
import { topologicalIndices } from './order.js';
import type { CodeRef, FunctionSpec } from './types.js';

/** A value that has no canonical form (NaN, a function, a cycle, a class instance...). `path` locates it. */
export class UnhashableValueError extends HandoutError {
  override name = 'UnhashableValueError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`cannot serialise ${path} canonically: ${problem}`);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A step on the way to the value being written: array index, object key, or a label such as `<map entry 2>`. */
type PathStep = number | string | { readonly label: string };

/**
 * State of one serialization. The path is kept as a stack of steps and only turned into text for an error:
 * most values never fail, and building a path string for every element costs allocations on every hash.
 */
interface Walk {
  readonly root: string;
  readonly steps: PathStep[];
  /** The chain of objects being written (a stack: cheaper than a Set for the usual shallow data). */
  readonly ancestors: object[];
}

function pathOf(walk: Walk): string {
  let path = walk.root;
  for (const step of walk.steps) {
    if (typeof step === 'number') path += `[${step}]`;
    else if (typeof step === 'object') path += step.label;
    else path += IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return path;
}

function fail(walk: Walk, problem: string): never {
  throw new UnhashableValueError(pathOf(walk), problem);
}

/**
 * Deterministic JSON: object keys sorted (by UTF-16 code units), `undefined` object members dropped, `-0`
 * written as `0`. Types JSON lacks are written as tagged objects whose single key starts with `$`:
 * `{"$bytes": base64}` (Uint8Array and subclasses such as Buffer), `{"$typed": "Float64Array", "$bytes": base64}` (other typed arrays, their
 * little-endian bytes), `{"$arraybuffer": ...}`, `{"$dataview": ...}`, `{"$bigint": "123"}`, `{"$date": ms}`,
 * `{"$map": [[k, v], ...]}` and `{"$set": [...]}` (insertion order, which code can observe), and
 * `{"$undefined": true}` (for `undefined` in arrays or at the top). A user key that itself starts with `$` is
 * written with one more `$`, so tags can never collide with data.
 *
 * Throws {@link UnhashableValueError} naming the path for NaN, ±Infinity, functions, symbols, circular
 * references and class instances (whose state may not survive the trip to a worker).
 *
 * @param rootPath how the path in errors starts, e.g. `extraArgs`.
 */
export function canonicalStringify(value: unknown, rootPath = '$'): string {
  return stringify(value, { root: rootPath, steps: [], ancestors: [] });
}

function stringify(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) fail(walk, `${value} is not a finite number`);
      return value === 0 ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `{"$bigint":"${value.toString()}"}`;
    case 'undefined':
      return '{"$undefined":true}';
    case 'function':
      return fail(walk, 'functions cannot be serialised (pass data, not code)');
    case 'symbol':
      return fail(walk, 'symbols cannot be serialised');
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (walk.ancestors.includes(obj)) fail(walk, 'circular reference');
  walk.ancestors.push(obj);
  const result = stringifyObject(obj, walk);
  walk.ancestors.pop();
  return result;
}

/** Write `value` as the child `step` of the current value. */
function child(value: unknown, step: PathStep, walk: Walk): string {
  walk.steps.push(step);
  const result = stringify(value, walk);
  walk.steps.pop();
  return result;
}

function stringifyObject(obj: object, walk: Walk): string {
  if (Array.isArray(obj)) {
    const parts: string[] = [];
    for (let i = 0; i < obj.length; i++) parts.push(child(obj[i], i, walk));
    return `[${parts.join(',')}]`;
  }
  if (ArrayBuffer.isView(obj)) {
    const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
    if (obj instanceof Uint8Array) return `{"$bytes":"${base64(bytes)}"}`;
    if (obj instanceof DataView) return `{"$dataview":"${base64(bytes)}"}`;
    return `{"$bytes":"${base64(bytes)}","$typed":"${obj.constructor.name}"}`;
  }
  if (obj instanceof ArrayBuffer) return `{"$arraybuffer":"${base64(new Uint8Array(obj))}"}`;
  if (obj instanceof Date) {
    const ms = obj.getTime();
    if (!Number.isFinite(ms)) fail(walk, 'invalid Date');
    return `{"$date":${ms}}`;
  }
  if (obj instanceof Map) {
    const entries: string[] = [];
    let i = 0;
    for (const [k, v] of obj) {
      const at = { label: `<map entry ${i++}>` };
      entries.push(`[${child(k, at, walk)},${child(v, at, walk)}]`);
    }
    return `{"$map":[${entries.join(',')}]}`;
  }
  if (obj instanceof Set) {
    const items: string[] = [];
    let i = 0;
    for (const v of obj) items.push(child(v, { label: `<set item ${i++}>` }, walk));
    return `{"$set":[${items.join(',')}]}`;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    const name = (obj.constructor as { name?: string } | undefined)?.name || 'an unknown class';
    fail(walk, `instances of ${name} cannot be serialised (use plain objects)`);
  }
  const record = obj as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    const written = key.startsWith('$') ? `$${key}` : key;
    parts.push(`${JSON.stringify(written)}:${child(v, key, walk)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The first part of `value` that has no canonical form, or undefined if it can be hashed. Validation runs this on
 * every function's extraArgs, so the common case is a walk that allocates nothing; only a failing (or very
 * deep) value pays for {@link canonicalStringify} to locate the problem.
 */
export function findUnhashable(
  value: unknown,
  rootPath = '$',
): { path: string; problem: string } | undefined {
  if (isHashable(value, 0)) return undefined;
  try {
    canonicalStringify(value, rootPath);
    return undefined;
  } catch (error) {
    if (error instanceof UnhashableValueError) return { path: error.path, problem: error.problem };
    if (error instanceof RangeError) return { path: rootPath, problem: 'nested too deeply' };
    throw error;
  }
}

/** Same rules as stringify, without building anything. Depth stands in for cycle detection (false = look closer). */
function isHashable(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'function':
    case 'symbol':
      return false;
  }
  if (value === null) return true;
  if (depth > 100) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isHashable(value[i], depth + 1)) return false;
    return true;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (value instanceof Date) return Number.isFinite(value.getTime());
  if (value instanceof Map) {
    for (const [k, v] of value) if (!isHashable(k, depth + 1) || !isHashable(v, depth + 1)) return false;
    return true;
  }
  if (value instanceof Set) {
    for (const v of value) if (!isHashable(v, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value as Record<string, unknown>) {
    if (!Object.hasOwn(value as object, key)) continue;
    if (!isHashable((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding, written out so Node (Buffer) and browsers (btoa) cannot differ. */
function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${B64[n >> 18]!}${B64[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64[n >> 18]!}${B64[(n >> 12) & 63]!}${B64[(n >> 6) & 63]!}=`;
  }
  return out;
}

const encoder = new TextEncoder();
/** Reused for encoding: hashing 100,000 preimages should not allocate 100,000 byte arrays. */
let scratch = new Uint8Array(1024);

/** Hex sha-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 > scratch.length)
    scratch = new Uint8Array(Math.max(text.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(text, scratch);
  return bytesToHex(sha256(scratch.subarray(0, written)));
}

/** Hex sha-256 of a value's canonical serialization. */
export function hashValue(value: unknown): string {
  return sha256Hex(canonicalStringify(value));
}

/** Bumped if the preimage layout ever changes, so old cache entries are never mistaken for new ones. */
const DOMAIN = 'handout/function/v1\n';

/**
 * The content hash of every function, keyed by id, in topological order. Expects a DAG without cycles or
 * missing dependencies (throws DagValidationError otherwise, from `topologicalOrder`); `extraArgs` that
 * cannot be serialised throw {@link UnhashableValueError} with the function id in the path.
 */
export function hashFunctions(functions: readonly FunctionSpec[]): Map<string, string> {
  const { order, deps } = topologicalIndices(functions);
  const codeJson = new Map<string, string>();
  const byPosition: string[] = new Array(functions.length);
  const hashes = new Map<string, string>();
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const f = functions[i]!;
    const args = f.args ?? [];
    let inputs = '';
    for (let a = 0; a < args.length; a++) {
      const ref = args[a]!;
      const h = byPosition[deps.targets[deps.start[i]! + a]!]!;
      inputs += `${a === 0 ? '' : ','}${typeof ref === 'string' ? `["${h}"]` : `["${h}",${ref[1]}]`}`;
    }
    // Written out by hand for speed, but exactly canonicalStringify({ code, extraArgs, inputs, outputs }):
    // keys in sorted order, hashes as strings, output indices as integers.
    const extra =
      f.extraArgs === undefined || f.extraArgs.length === 0
        ? '[]'
        : canonicalStringify(f.extraArgs, `function '${f.id}'.extraArgs`);
    const outputs = f.outputs ?? 1;
    const preimage = `{"code":${codeIdentity(f.code, codeJson)},"extraArgs":${extra},"inputs":[${inputs}],"outputs":${Number.isSafeInteger(outputs) ? outputs : canonicalStringify(outputs)}}`;
    const hash = sha256Hex(DOMAIN + preimage);
    byPosition[i] = hash;
    hashes.set(f.id, hash);
  }
  return hashes;
}

/** The canonical JSON of a function's code identity. Source text is hashed once per distinct text: 100k functions usually share a few sources. */
function codeIdentity(code: CodeRef, cache: Map<string, string>): string {
  if (code.kind === 'module')
    return canonicalStringify({ export: code.export, kind: 'module', module: code.module });
  let json = cache.get(code.source);
  if (json === undefined) {
    json = `{"kind":"source","sha256":"${sha256Hex(code.source)}"}`;
    cache.set(code.source, json);
  }
  return json;
}
