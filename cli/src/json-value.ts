/**
 * Turns any function result into plain JSON for `--json`. Results are whatever the value codec carries
 * (cbor-x: typed arrays, Maps, Sets, Dates, bigints...), which JSON.stringify would drop or throw on. The rules
 * (documented in docs/cli.md):
 * - bigint → its decimal string (`"12345678901234567890"`), so no precision is lost;
 * - typed arrays → arrays of numbers (BigInt64Array/BigUint64Array → arrays of decimal strings);
 *   ArrayBuffer and DataView → arrays of bytes;
 * - Map → an object when every key is a string or number, else an array of `[key, value]` pairs; Set → an array;
 * - Date → its ISO string; Error → `{ "name", "message" }`;
 * - undefined, functions and symbols → null; NaN and ±Infinity → null (as JSON.stringify does);
 * - a cycle → the string "[Circular]".
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toJsonValue(value: unknown, seen: Set<object> = new Set()): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return null;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof ArrayBuffer) return Array.from(new Uint8Array(obj));
  if (obj instanceof DataView) return Array.from(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
  if (obj instanceof BigInt64Array || obj instanceof BigUint64Array)
    return Array.from(obj, (b) => b.toString());
  if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number>, (n) => toJsonValue(n));
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => toJsonValue(v, seen));
    if (obj instanceof Set) return [...obj].map((v) => toJsonValue(v, seen));
    if (obj instanceof Map) {
      const keys = [...obj.keys()];
      if (keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
        const out: { [key: string]: JsonValue } = {};
        for (const [k, v] of obj) out[String(k)] = toJsonValue(v, seen);
        return out;
      }
      return [...obj].map(([k, v]) => [toJsonValue(k, seen), toJsonValue(v, seen)]);
    }
    if (obj instanceof Error) return { name: obj.name, message: obj.message };
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(obj)) out[k] = toJsonValue(v, seen);
    return out;
  } finally {
    seen.delete(obj);
  }
}
