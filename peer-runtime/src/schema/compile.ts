/**
 * A specialised reader for one object schema, written as JavaScript once when the schema is first used.
 *
 * Why: the interpreted reader (ObjectSchema's loop) reads `value[key]` and writes `out[key]` with a different
 * key on every turn, and V8 treats such shared sites as megamorphic: about 14 ns a field read, 35 ns a field
 * written, measured here, which made the validation of a batch of 100 `task:result` messages 5× slower than the
 * hand-written readers it replaced (and decode + validate 1.3× slower, outside the receive path's budget). The
 * generated reader names each field (`value.runId`), as a hand-written one does, so every site sees one key.
 *
 * Safety: the generated text holds only the schema's own field names (constants of our code, never input),
 * each written as a JSON string literal, and calls back into the field schemas; input is only ever data to it.
 * Where `new Function` is refused (a Content-Security-Policy without 'unsafe-eval'), `compileObjectReader`
 * returns undefined and the schema keeps its interpreted loop: the same rules, only slower. A kit test checks
 * that both readers agree on every value (test/schema/kit.test.ts).
 */
import { INVALID, type Invalid, type Reader, type Schema } from './core.js';

/** What the generated reader needs to know of the object schema. */
export interface CompiledObject {
  readonly keys: readonly string[];
  readonly schemas: readonly Schema<unknown>[];
  readonly optional: readonly boolean[];
  readonly fallbacks: readonly ((() => unknown) | undefined)[];
  /** Refuse own keys beyond `keys` (calls `unknown` with the value, which records them). */
  readonly refuseUnknown: boolean;
}

export type ObjectReader = (value: Record<string, unknown>, reader: Reader) => unknown;

/** Helpers the generated code calls (kept out of the text, so it needs nothing from the scope). */
interface Helpers {
  readonly missing: (index: number, reader: Reader) => void;
  readonly unknown: (value: Record<string, unknown>, reader: Reader) => boolean;
}

/** The specialised reader, or undefined when code cannot be generated here (CSP): use the interpreter. */
export function compileObjectReader(spec: CompiledObject, helpers: Helpers): ObjectReader | undefined {
  const lines: string[] = ['let bad = false, mark = 0, r, v;', 'const out = {};'];
  spec.keys.forEach((key, i) => {
    const name = JSON.stringify(key);
    const absent = spec.fallbacks[i]
      ? `out[${name}] = f[${i}]();`
      : spec.optional[i]
        ? ''
        : `h.missing(${i}, reader); if (!reader.collectAll) return I; bad = true;`;
    lines.push(
      `v = value[${name}];`,
      `if (v === undefined) { ${absent} } else {`,
      `  mark = reader.failures.length; r = s[${i}].read(v, reader);`,
      `  if (r === I) { reader.within(${name}, mark); if (!reader.collectAll) return I; bad = true; }`,
      `  else out[${name}] = r;`,
      '}',
    );
  });
  if (spec.refuseUnknown) {
    // Known names compare as interned strings (pointer checks); only an unknown one takes the slow path.
    const known = spec.keys.map((k) => `k !== ${JSON.stringify(k)}`).join(' && ') || 'true';
    lines.push(`for (const k in value) { if (${known}) { if (h.unknown(value, reader)) return I; break; } }`);
  }
  lines.push('return bad ? I : out;');
  const body = `return function readObject(value, reader) {\n${lines.join('\n')}\n};`;
  try {
    const make = new Function('s', 'f', 'h', 'I', body) as (
      s: readonly Schema<unknown>[],
      f: readonly ((() => unknown) | undefined)[],
      h: Helpers,
      I: Invalid,
    ) => ObjectReader;
    return make(spec.schemas, spec.fallbacks, helpers, INVALID);
  } catch {
    // `new Function` refused (EvalError under a Content-Security-Policy): the interpreted loop serves instead.
    return undefined;
  }
}
