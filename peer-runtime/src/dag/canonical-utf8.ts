/**
 * The UTF-8 bytes of `canonicalStringify(value)`, written straight into a reusable buffer for the common plain
 * data (null, booleans, finite numbers, strings, arrays, plain objects): hashing 100,000 functions would
 * otherwise build and discard a few strings per value. Anything else (bytes, dates, maps, `$` keys, `undefined`
 * in arrays, values that cannot be hashed) is declined, and the caller falls back to canonicalStringify, which
 * handles every case and names the culprit in its errors. The tests check byte equality with that function.
 */
import { writeUtf8 } from './utf8.js';

/** A growable byte buffer: `bytes[0 .. length)` is the text written so far. */
export class Utf8Sink {
  bytes = new Uint8Array(1024);
  length = 0;

  /** Make room for `more` bytes after `length`. */
  reserve(more: number): void {
    const needed = this.length + more;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Append `text` as UTF-8. */
  text(text: string): void {
    this.reserve(text.length * 3);
    this.length = writeUtf8(text, this.bytes, this.length);
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }
}

/** Deeper values are declined (the general serializer checks for cycles; this one relies on the depth). */
const MAX_DEPTH = 32;

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Append the canonical UTF-8 of `value` to `sink` and return true, or return false (with `sink` holding an
 * unspecified partial text) when `value` is outside the plain-data subset described above.
 */
export function writeCanonical(value: unknown, sink: Utf8Sink, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
      writeString(value, sink);
      return true;
    case 'number':
      if (!Number.isFinite(value)) return false;
      if (Number.isSafeInteger(value)) writeInteger(value, sink);
      else sink.text(`${value}`);
      return true;
    case 'boolean':
      sink.text(value ? 'true' : 'false');
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    sink.text('null');
    return true;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    sink.byte(0x5b); // [
    for (let i = 0; i < value.length; i++) {
      if (i > 0) sink.byte(COMMA);
      const item: unknown = value[i];
      if (item === undefined || !writeCanonical(item, sink, depth + 1)) return false;
    }
    sink.byte(0x5d); // ]
    return true;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  sink.byte(0x7b); // {
  let first = true;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.charCodeAt(0) === 0x24) return false; // `$` keys are escaped: the general serializer does that.
    const v = record[key];
    if (v === undefined) continue;
    if (!first) sink.byte(COMMA);
    first = false;
    writeString(key, sink);
    sink.byte(0x3a); // :
    if (!writeCanonical(v, sink, depth + 1)) return false;
  }
  sink.byte(0x7d); // }
  return true;
}

/** As JSON.stringify writes it; printable ASCII without quote or backslash is copied as is. */
function writeString(text: string, sink: Utf8Sink): void {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) {
      sink.text(JSON.stringify(text));
      return;
    }
  }
  sink.reserve(length + 2);
  const bytes = sink.bytes;
  let at = sink.length;
  bytes[at++] = QUOTE;
  for (let i = 0; i < length; i++) bytes[at++] = text.charCodeAt(i);
  bytes[at++] = QUOTE;
  sink.length = at;
}

/** A safe integer in decimal, as JSON writes it (`-0` as `0`). */
function writeInteger(value: number, sink: Utf8Sink): void {
  sink.reserve(17);
  const bytes = sink.bytes;
  let at = sink.length;
  let n = value;
  if (n < 0) {
    bytes[at++] = 0x2d; // -
    n = -n;
  }
  const start = at;
  do {
    bytes[at++] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  // The digits came out least significant first.
  for (let i = start, j = at - 1; i < j; i++, j--) {
    const t = bytes[i]!;
    bytes[i] = bytes[j]!;
    bytes[j] = t;
  }
  sink.length = at;
}
