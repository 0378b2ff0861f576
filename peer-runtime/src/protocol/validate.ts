/**
 * Small readers for hand-written message validators. Each takes an `unknown`, checks one field and returns it
 * typed, or throws a ProtocolError naming the field by its path (`assignments[3].inputs.a.hash`), so a bad
 * message from a peer says exactly what was wrong with it.
 *
 * Paths cost nothing on valid messages: `checkTwice` runs a validator once without building any path (`at`
 * returns '' and a failure just asks for a second run), and only a message that fails is validated again, the
 * same way but with paths, to throw the error naming its field. Valid messages are the rule, and building
 * `assignments[3].spec.args[1]` strings for every item of every batch cost more than the checks themselves on
 * the mesh's hot path (issue 4).
 */
import { ProtocolError } from '../errors.js';

export type Fields = Readonly<Record<string, unknown>>;

/** Longest string field we accept (ids, hashes, messages). Code travels as source text and gets its own bound. */
export const MAX_STRING = 64 * 1024;
/** Source text of one function. */
export const MAX_SOURCE = 4 * 1024 * 1024;
/** Longest array field (assignment batches, id lists). */
export const MAX_ARRAY = 100_000;

/**
 * True during the first run of checkTwice. Outside checkTwice paths are always built, so a validator called
 * directly still throws ProtocolErrors naming the field.
 */
let pathFree = false;
/** Thrown by a failing check in a path-free run (preallocated: throwing it is cheap). */
const FAILED_WITHOUT_PATHS = new Error('validation failed in a path-free run');

/**
 * Runs `validate(value)` without paths; if a check fails, runs it again with paths, which throws the
 * ProtocolError naming the field (validators are deterministic: the same check fails at the same place).
 */
export function checkTwice<T>(validate: (value: unknown) => T, value: unknown): T {
  const outer = pathFree;
  pathFree = true;
  try {
    return validate(value);
  } catch (err) {
    if (err !== FAILED_WITHOUT_PATHS) throw err;
  } finally {
    pathFree = outer;
  }
  return validate(value);
}

/**
 * The path of `step` below `path`: `path.key` (a bare `key` at the top, where path is ''), or `path[i]`.
 * In a path-free run it is '', and nothing is built.
 */
export function at(path: string, step: string | number): string {
  if (pathFree) return '';
  if (typeof step === 'number') return `${path}[${step}]`;
  return path ? `${path}.${step}` : step;
}

export function fail(field: string, expected: string, value: unknown): never {
  return reject(field, `must be ${expected}, got ${describe(value)}`);
}

/** Throws the ProtocolError `field '<field>' <complaint>`, or, in a path-free run, asks for the run with paths. */
export function reject(field: string, complaint: string): never {
  if (pathFree) throw FAILED_WITHOUT_PATHS;
  throw new ProtocolError(`field '${field}' ${complaint}`, field);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  return typeof value;
}

export function record(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(field, 'an object', value);
  }
  return value as Fields;
}

// The readers below take the field's value and where it sits (`key` below `path`): callers read `o.key` by name,
// a load V8 keeps fast per call site, where a shared `o[key]` here saw every message shape (megamorphic).

export function str(v: unknown, key: string, path = '', max = MAX_STRING): string {
  if (typeof v !== 'string') fail(at(path, key), 'a string', v);
  if (v.length > max) fail(at(path, key), `a string of at most ${max} characters`, v);
  return v;
}

/** A non-empty string (ids, hashes). */
export function id(v: unknown, key: string, path = ''): string {
  const s = str(v, key, path, 1024);
  if (s.length === 0) fail(at(path, key), 'a non-empty string', s);
  return s;
}

export function num(v: unknown, key: string, path = ''): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at(path, key), 'a finite number', v);
  return v;
}

/** A non-negative safe integer. */
export function uint(v: unknown, key: string, path = ''): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(at(path, key), 'a non-negative integer', v);
  return v;
}

export function bool(v: unknown, key: string, path = ''): boolean {
  if (typeof v !== 'boolean') fail(at(path, key), 'a boolean', v);
  return v;
}

export function bytes(v: unknown, key: string, path = ''): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(at(path, key), 'a byte string (Uint8Array)', v);
  return v;
}

export function oneOf<T extends string>(v: unknown, key: string, allowed: readonly T[], path = ''): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(at(path, key), `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  }
  return v as T;
}

/** Reads `v` with `read` unless it is absent (undefined). */
export function opt<T>(
  v: unknown,
  key: string,
  read: (v: unknown, key: string, path: string) => T,
  path = '',
): T | undefined {
  return v === undefined ? undefined : read(v, key, path);
}

function array(v: unknown, key: string, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(at(path, key), 'an array', v);
  if (v.length > max) fail(at(path, key), `an array of at most ${max} items`, v);
  return v;
}

/** An array read item by item into a fresh one; each item gets its path (`field[i]`), unrendered. */
export function list<T>(
  v: unknown,
  key: string,
  readItem: (item: unknown, field: string) => T,
  path = '',
  max = MAX_ARRAY,
): T[] {
  const items = array(v, key, path, max);
  const field = at(path, key);
  const out = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // A hole (never on the wire; a sparse array from a JS caller) is skipped and stays a hole, as with Array#map.
    if (item === undefined && !(i in items)) continue;
    out[i] = readItem(item, at(field, i));
  }
  return out;
}

/** A non-empty id string of at most 1024 characters (an item of an id list). */
function isIdItem(item: unknown): item is string {
  return typeof item === 'string' && item.length !== 0 && item.length <= 1024;
}

/**
 * A list of ids (holders, tags, hashes), copied. No per-item path: the path of a bad item is made when found.
 * A hole of a sparse array (never on the wire, only from a JS caller) is skipped and kept, as Array#map does.
 */
export function idList(v: unknown, key: string, path = '', max = MAX_ARRAY): string[] {
  const items = array(v, key, path, max);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isIdItem(item) && (item !== undefined || i in items))
      fail(at(at(path, key), i), 'a non-empty id string', item);
  }
  return items.slice() as string[];
}

/** JSON-like data (extra args, user tags): checked for depth so a hostile nesting cannot blow the stack. */
export function jsonLike(value: unknown, field: string, depth = 0): unknown {
  if (depth > 64) fail(field, 'data nested at most 64 levels deep', value);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(field, 'a finite number', value);
    return value;
  }
  if (Array.isArray(value)) {
    // An index read sees a hole as undefined, as Array#entries does: a sparse array is refused.
    for (let i = 0; i < value.length; i++) jsonLike(value[i], at(field, i), depth + 1);
    return value;
  }
  if (typeof value === 'object' && !(value instanceof Uint8Array)) {
    const o = value as Fields;
    for (const k of Object.keys(o)) jsonLike(o[k], at(field, k), depth + 1);
    return value;
  }
  return fail(field, 'JSON-like data', value);
}

/** A protocol type with its readonly fields made writable, so optional fields are added once checked. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
