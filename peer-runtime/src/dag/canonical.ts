/**
 * Canonical serialization: one text per value whatever the key order or the engine, so that content hashes
 * (hash.ts) are the same in Node and in every browser. Also decides which values can be hashed at all.
 */
import { HandoutError } from '../errors.js';

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

/**
 * Thrown by the untracked walk (no `Walk`) at the first problem, or past {@link FAST_DEPTH}: the value is then
 * written again with path tracking, which throws the real error (or, for a deep but valid value, finishes).
 */
const RETRY_TRACKED = Symbol('retry with path tracking');

/** Deeper than this, the untracked walk gives up (it has no cycle check; depth stands in for one). */
const FAST_DEPTH = 64;

function fail(walk: Walk | undefined, problem: string): never {
  if (walk === undefined) throw RETRY_TRACKED;
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
  // Most values are fine: write them first without tracking a path or ancestors (the hashing hot path).
  try {
    return stringify(value, undefined, 0);
  } catch (error) {
    if (error !== RETRY_TRACKED) throw error;
  }
  return stringify(value, { root: rootPath, steps: [], ancestors: [] }, 0);
}

/** `walk` undefined: the untracked walk (see RETRY_TRACKED); both walks write the same text. */
function stringify(value: unknown, walk: Walk | undefined, depth: number): string {
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
  if (walk === undefined) {
    if (depth > FAST_DEPTH) throw RETRY_TRACKED;
    return stringifyObject(obj, undefined, depth);
  }
  if (walk.ancestors.includes(obj)) fail(walk, 'circular reference');
  walk.ancestors.push(obj);
  const result = stringifyObject(obj, walk, depth);
  walk.ancestors.pop();
  return result;
}

/** Write `value` as the child `step` of the current value. */
function child(value: unknown, step: PathStep, walk: Walk | undefined, depth: number): string {
  if (walk === undefined) return stringify(value, undefined, depth + 1);
  walk.steps.push(step);
  const result = stringify(value, walk, depth + 1);
  walk.steps.pop();
  return result;
}

function stringifyObject(obj: object, walk: Walk | undefined, depth: number): string {
  if (Array.isArray(obj)) {
    // Concatenation rather than parts.join: no array per level, and V8 builds the text as a rope.
    let text = '[';
    for (let i = 0; i < obj.length; i++) text += (i === 0 ? '' : ',') + child(obj[i], i, walk, depth);
    return `${text}]`;
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
      entries.push(`[${child(k, at, walk, depth)},${child(v, at, walk, depth)}]`);
    }
    return `{"$map":[${entries.join(',')}]}`;
  }
  if (obj instanceof Set) {
    const items: string[] = [];
    let i = 0;
    for (const v of obj) items.push(child(v, { label: `<set item ${i++}>` }, walk, depth));
    return `{"$set":[${items.join(',')}]}`;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    const name = (obj.constructor as { name?: string } | undefined)?.name || 'an unknown class';
    fail(walk, `instances of ${name} cannot be serialised (use plain objects)`);
  }
  const record = obj as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let text = '{';
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const v = record[key];
    if (v === undefined) continue;
    const written = key.charCodeAt(0) === 36 /* $ */ ? `$${key}` : key;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(written)}:${child(v, key, walk, depth)}`;
  }
  return `${text}}`;
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
