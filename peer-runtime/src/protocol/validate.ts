/**
 * Small readers for hand-written message validators. Each takes an `unknown`, checks one field and returns it
 * typed, or throws a ProtocolError naming the field by its path (`assignments[3].inputs[0].hash`), so a bad
 * message from a peer says exactly what was wrong with it.
 */
import { ProtocolError } from '../errors.js';

export type Fields = Readonly<Record<string, unknown>>;

/** Longest string field we accept (ids, hashes, messages). Code travels as source text and gets its own bound. */
export const MAX_STRING = 64 * 1024;
/** Source text of one function. */
export const MAX_SOURCE = 4 * 1024 * 1024;
/** Longest array field (assignment batches, id lists). */
export const MAX_ARRAY = 100_000;

export function fail(field: string, expected: string, value: unknown): never {
  throw new ProtocolError(`field '${field}' must be ${expected}, got ${describe(value)}`, field);
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

function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function str(o: Fields, key: string, path = '', max = MAX_STRING): string {
  const v = o[key];
  if (typeof v !== 'string') fail(at(path, key), 'a string', v);
  if (v.length > max) fail(at(path, key), `a string of at most ${max} characters`, v);
  return v;
}

/** A non-empty string (ids, hashes). */
export function id(o: Fields, key: string, path = ''): string {
  const v = str(o, key, path, 1024);
  if (v.length === 0) fail(at(path, key), 'a non-empty string', v);
  return v;
}

export function num(o: Fields, key: string, path = ''): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at(path, key), 'a finite number', v);
  return v;
}

/** A non-negative safe integer. */
export function uint(o: Fields, key: string, path = ''): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(at(path, key), 'a non-negative integer', v);
  return v;
}

export function bool(o: Fields, key: string, path = ''): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(at(path, key), 'a boolean', v);
  return v;
}

export function bytes(o: Fields, key: string, path = ''): Uint8Array {
  const v = o[key];
  if (!(v instanceof Uint8Array)) fail(at(path, key), 'a byte string (Uint8Array)', v);
  return v;
}

export function oneOf<T extends string>(o: Fields, key: string, allowed: readonly T[], path = ''): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(at(path, key), `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  }
  return v as T;
}

/** Reads `o[key]` with `read` unless it is absent (undefined). */
export function opt<T>(
  o: Fields,
  key: string,
  read: (o: Fields, key: string, path: string) => T,
  path = '',
): T | undefined {
  return o[key] === undefined ? undefined : read(o, key, path);
}

export function list<T>(
  o: Fields,
  key: string,
  readItem: (item: unknown, field: string) => T,
  path = '',
  max = MAX_ARRAY,
): T[] {
  const v = o[key];
  const field = at(path, key);
  if (!Array.isArray(v)) fail(field, 'an array', v);
  if (v.length > max) fail(field, `an array of at most ${max} items`, v);
  return v.map((item, i) => readItem(item, `${field}[${i}]`));
}

export function stringItem(item: unknown, field: string): string {
  if (typeof item !== 'string' || item.length === 0 || item.length > 1024)
    fail(field, 'a non-empty id string', item);
  return item;
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
    for (const [i, v] of value.entries()) jsonLike(v, `${field}[${i}]`, depth + 1);
    return value;
  }
  if (typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) jsonLike(v, `${field}.${k}`, depth + 1);
    return value;
  }
  return fail(field, 'JSON-like data', value);
}
