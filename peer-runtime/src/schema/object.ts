/**
 * Object schemas: a fixed set of named fields, each with its own schema, read into a fresh object in the
 * schema's order. Objects must be plain: an array, a Map, a class instance, or an object whose prototype was
 * swapped (a `__proto__` key assigned by a careless decoder) is refused, so a field read never finds an
 * inherited value.
 */
import { compileObjectReader, type ObjectReader } from './compile.js';
import { INVALID, type Invalid, type JsonSchema, type Reader, Schema } from './core.js';
import { closestName } from './suggest.js';

/** A plain object: `{...}` or `Object.create(null)`, not an array, a byte string or an instance of a class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An optional field of an object schema, with a value for it when absent if `fallback` is given. */
export class Optional<T> {
  constructor(
    readonly schema: Schema<T>,
    readonly fallback?: () => T,
  ) {}
}

/** The field schemas of an object type `T`: optional keys of `T` need an Optional. */
export type Fields<T> = {
  readonly [K in keyof T]-?: undefined extends T[K]
    ? Optional<Exclude<T[K], undefined>>
    : Schema<T[K]> | Optional<T[K]>;
};

export interface ObjectOptions {
  /**
   * What to do with a key the schema does not know. `strip` (default): leave it out of the result, so a newer
   * peer's extra field does no harm. `refuse`: a failure naming the key, with a "did you mean" for a near miss
   * (a typo in a function spec must not pass silently as an ignored field).
   */
  readonly unknownKeys?: 'strip' | 'refuse';
  /** How an unknown-key complaint names the known keys: `is not a function spec field`. Default 'a known field'. */
  readonly known?: string;
  /** How complaints name a valid value. Default 'an object'. */
  readonly name?: string;
  /**
   * Read with a reader generated for this schema (compile.ts: hand-written speed on the receive path) rather
   * than the interpreted loop. Default true; where code generation is refused the loop serves anyway.
   */
  readonly compile?: boolean;
}

export class ObjectSchema<T> extends Schema<T> {
  readonly expected: string;
  readonly #keys: string[];
  readonly #schemas: Schema<unknown>[];
  readonly #optional: boolean[];
  readonly #fallbacks: ((() => unknown) | undefined)[];
  readonly #known: ReadonlySet<string>;
  readonly #refuseUnknown: boolean;
  readonly #knownName: string;
  readonly #compiled: ObjectReader | undefined;

  constructor(
    readonly fields: Fields<T>,
    readonly options: ObjectOptions = {},
  ) {
    super();
    this.expected = options.name ?? 'an object';
    this.#keys = Object.keys(fields);
    const entries = this.#keys.map(
      (k) => (fields as Record<string, Schema<unknown> | Optional<unknown>>)[k]!,
    );
    this.#schemas = entries.map((f) => (f instanceof Optional ? f.schema : f));
    this.#optional = entries.map((f) => f instanceof Optional);
    this.#fallbacks = entries.map((f) => (f instanceof Optional ? f.fallback : undefined));
    this.#known = new Set(this.#keys);
    this.#refuseUnknown = options.unknownKeys === 'refuse';
    this.#knownName = options.known ?? 'a known field';
    if (options.compile !== false) {
      this.#compiled = compileObjectReader(
        {
          keys: this.#keys,
          schemas: this.#schemas,
          optional: this.#optional,
          fallbacks: this.#fallbacks,
          refuseUnknown: this.#refuseUnknown,
        },
        {
          missing: (i, reader) => this.#missing(i, reader),
          unknown: (value, reader) => this.#refuseUnknownKeys(value, reader),
        },
      );
    }
  }

  /** The same object with every field optional (an update that sends only what changed). */
  partial(): ObjectSchema<Partial<T>> {
    const fields: Record<string, Optional<unknown>> = {};
    for (const [key, field] of Object.entries(
      this.fields as Record<string, Schema<unknown> | Optional<unknown>>,
    )) {
      fields[key] = field instanceof Optional ? new Optional(field.schema) : new Optional(field);
    }
    return new ObjectSchema(fields as Fields<Partial<T>>, this.options);
  }

  /** True when reads go through a generated reader (false: the interpreted loop). */
  get compiled(): boolean {
    return this.#compiled !== undefined;
  }

  /** The field names, in checking order. */
  get keys(): readonly string[] {
    return this.#keys;
  }

  read(value: unknown, reader: Reader): T | Invalid {
    if (!isPlainObject(value)) return this.wrong(value, reader);
    if (this.#compiled !== undefined) return this.#compiled(value, reader) as T | Invalid;
    const out: Record<string, unknown> = {};
    let bad = false;
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = value[key];
      const mark = reader.failures.length;
      if (v === undefined) {
        const fallback = this.#fallbacks[i];
        if (fallback !== undefined) out[key] = fallback();
        else if (!this.#optional[i]) {
          this.#missing(i, reader);
          if (!reader.collectAll) return INVALID;
          bad = true;
        }
        continue;
      }
      const r = this.#schemas[i]!.read(v, reader);
      if (r === INVALID) {
        reader.within(key, mark);
        if (!reader.collectAll) return INVALID;
        bad = true;
      } else out[key] = r;
    }
    if (this.#refuseUnknown && this.#refuseUnknownKeys(value, reader)) return INVALID;
    return bad ? INVALID : (out as T);
  }

  /** Records that the required field at `index` is absent. */
  #missing(index: number, reader: Reader): void {
    const mark = reader.failures.length;
    reader.fail(`is missing (must be ${this.#schemas[index]!.expected})`);
    reader.within(this.#keys[index]!, mark);
  }

  /** Records each own key the schema does not know (those set to undefined count as absent); true if any. */
  #refuseUnknownKeys(value: Record<string, unknown>, reader: Reader): boolean {
    let found = false;
    for (const key in value) {
      if (this.#known.has(key) || !Object.hasOwn(value, key) || value[key] === undefined) continue;
      const mark = reader.failures.length;
      const near = closestName(key, this.#keys);
      reader.fail(`is not ${this.#knownName}${near === undefined ? '' : ` (did you mean '${near}'?)`}`);
      reader.within(key, mark);
      found = true;
      if (!reader.collectAll) break;
    }
    return found;
  }

  jsonSchema(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    for (let i = 0; i < this.#keys.length; i++) properties[this.#keys[i]!] = this.#schemas[i]!.jsonSchema();
    const required = this.#keys.filter((_, i) => !this.#optional[i] && this.#fallbacks[i] === undefined);
    return {
      type: 'object',
      properties,
      ...(required.length > 0 && { required }),
      additionalProperties: !this.#refuseUnknown,
    };
  }
}
