/**
 * The kit's compound schemas: objects, lists, dictionaries, tuples, tagged variants, and the few wrappers
 * (nullable, refine, transform). Every one returns fresh containers, so nothing a sender adds beyond a schema
 * reaches the layers above, and a caller that later mutates its input cannot change what was validated.
 *
 * Objects must be plain: an array, a Map, a class instance, or an object whose prototype was swapped (a
 * `__proto__` key assigned by a careless decoder) is refused, so a field read never finds an inherited value.
 */
import { compileObjectReader, type ObjectReader } from './compile.js';
import { describe, INVALID, type Invalid, type JsonSchema, type Reader, Schema } from './core.js';
import { closestName } from './suggest.js';

/** A plain object: `{...}` or `Object.create(null)`, not an array, a byte string or an instance of a class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets `key` on a fresh object even when it is `__proto__` (a plain assignment would set the prototype). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else out[key] = value;
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

export interface ListOptions {
  /** Most items; always given, so a hostile list cannot make us loop over millions. */
  readonly max: number;
  /** Fewest items. Default 0. */
  readonly min?: number;
}

export class ListSchema<T> extends Schema<T[]> {
  readonly expected: string;
  readonly #min: number;
  readonly #max: number;
  constructor(
    readonly item: Schema<T>,
    options: ListOptions,
  ) {
    super();
    this.#min = options.min ?? 0;
    this.#max = options.max;
    this.expected = this.#min > 0 ? 'a non-empty array' : 'an array';
  }

  read(value: unknown, reader: Reader): T[] | Invalid {
    if (!Array.isArray(value)) return this.wrong(value, reader);
    if (value.length > this.#max)
      return reader.fail(`must have at most ${this.#max} items, got ${value.length}`);
    if (value.length < this.#min)
      return reader.fail(`must have at least ${this.#min} items, got ${value.length}`);
    const out: T[] = [];
    let bad = false;
    for (let i = 0; i < value.length; i++) {
      const mark = reader.failures.length;
      // A hole of a sparse array (never on the wire; a JS caller's) reads as undefined and fails as missing.
      const r = this.item.read(value[i], reader);
      if (r === INVALID) {
        reader.within(i, mark);
        if (!reader.collectAll) return INVALID;
        bad = true;
      } else out.push(r);
    }
    return bad ? INVALID : out;
  }

  jsonSchema(): JsonSchema {
    return {
      type: 'array',
      items: this.item.jsonSchema(),
      ...(this.#min > 0 && { minItems: this.#min }),
      maxItems: this.#max,
    };
  }
}

export interface DictOptions {
  /** Most entries. */
  readonly max: number;
  /** The keys' own schema. Default: any key. */
  readonly key?: Schema<string>;
}

/** An object used as a map from any (or `key`-checked) names to values of one schema. */
export class DictSchema<T> extends Schema<Record<string, T>> {
  readonly expected = 'an object';
  constructor(
    readonly value: Schema<T>,
    readonly options: DictOptions,
  ) {
    super();
  }

  read(value: unknown, reader: Reader): Record<string, T> | Invalid {
    if (!isPlainObject(value)) return this.wrong(value, reader);
    const keys = Object.keys(value);
    if (keys.length > this.options.max) {
      return reader.fail(`must be an object of at most ${this.options.max} entries, got ${keys.length}`);
    }
    const out: Record<string, T> = {};
    let bad = false;
    const keySchema = this.options.key;
    for (const key of keys) {
      const mark = reader.failures.length;
      if (keySchema !== undefined && keySchema.read(key, reader) === INVALID) {
        // The key itself is at fault: its complaint says so, under the dict's path.
        const failure = reader.failures[mark]!;
        reader.failures[mark] = {
          segments: [],
          complaint: `has a bad key ${describe(key)}: ${failure.complaint}`,
        };
        if (!reader.collectAll) return INVALID;
        bad = true;
        continue;
      }
      const r = this.value.read(value[key], reader);
      if (r === INVALID) {
        reader.within(key, mark);
        if (!reader.collectAll) return INVALID;
        bad = true;
      } else setKey(out, key, r);
    }
    return bad ? INVALID : out;
  }

  jsonSchema(): JsonSchema {
    return {
      type: 'object',
      additionalProperties: this.value.jsonSchema(),
      maxProperties: this.options.max,
      ...(this.options.key && { propertyNames: this.options.key.jsonSchema() }),
    };
  }
}

/** A fixed-length array whose items each have their own schema (`[producerId, outputIndex]`). */
export class TupleSchema<T extends readonly unknown[]> extends Schema<T> {
  readonly expected: string;
  constructor(
    readonly items: { readonly [K in keyof T]: Schema<T[K]> },
    name?: string,
  ) {
    super();
    this.expected = name ?? `an array of ${items.length} items`;
  }

  read(value: unknown, reader: Reader): T | Invalid {
    const items = this.items as readonly Schema<unknown>[];
    if (!Array.isArray(value) || value.length !== items.length) return this.wrong(value, reader);
    const out: unknown[] = [];
    let bad = false;
    for (let i = 0; i < items.length; i++) {
      const mark = reader.failures.length;
      const r = items[i]!.read(value[i], reader);
      if (r === INVALID) {
        reader.within(i, mark);
        if (!reader.collectAll) return INVALID;
        bad = true;
      } else out.push(r);
    }
    return bad ? INVALID : (out as unknown as T);
  }

  jsonSchema(): JsonSchema {
    const items = this.items as readonly Schema<unknown>[];
    return {
      type: 'array',
      prefixItems: items.map((s) => s.jsonSchema()),
      minItems: items.length,
      maxItems: items.length,
    };
  }
}

/**
 * A union told apart by one string field (`type`, `kind`): the tag picks the case's schema, which reads the
 * whole object (its own tag field included). An unknown tag is a failure at the tag field.
 */
export class VariantSchema<T> extends Schema<T> {
  readonly #cases: ReadonlyMap<string, Schema<T>>;
  constructor(
    readonly tag: string,
    cases: { readonly [tag: string]: Schema<T> },
    /** How complaints name a valid tag: `a batchable message type`. */
    readonly tagName: string,
    readonly expected = 'an object',
  ) {
    super();
    this.#cases = new Map(Object.entries(cases));
  }

  read(value: unknown, reader: Reader): T | Invalid {
    if (!isPlainObject(value)) return this.wrong(value, reader);
    const tag = value[this.tag];
    const schema = typeof tag === 'string' ? this.#cases.get(tag) : undefined;
    if (schema === undefined) {
      const mark = reader.failures.length;
      reader.fail(`must be ${this.tagName}, got ${describe(tag)}`);
      reader.within(this.tag, mark);
      return INVALID;
    }
    return schema.read(value, reader);
  }

  jsonSchema(): JsonSchema {
    return { oneOf: [...this.#cases.values()].map((s) => s.jsonSchema()) };
  }
}

/** Alternatives told apart by what kind of value arrives: a string, an array, or an object. */
export class KindSchema<T> extends Schema<T> {
  constructor(
    readonly kinds: {
      readonly string?: Schema<T>;
      readonly array?: Schema<T>;
      readonly object?: Schema<T>;
    },
    readonly expected: string,
  ) {
    super();
  }

  read(value: unknown, reader: Reader): T | Invalid {
    const schema =
      typeof value === 'string'
        ? this.kinds.string
        : Array.isArray(value)
          ? this.kinds.array
          : typeof value === 'object' && value !== null
            ? this.kinds.object
            : undefined;
    return schema === undefined ? this.wrong(value, reader) : schema.read(value, reader);
  }

  jsonSchema(): JsonSchema {
    const { string, array, object } = this.kinds;
    return { anyOf: [string, array, object].filter((s) => s !== undefined).map((s) => s.jsonSchema()) };
  }
}

/** `null` or the inner schema's value. */
export class NullableSchema<T> extends Schema<T | null> {
  readonly expected: string;
  constructor(readonly inner: Schema<T>) {
    super();
    this.expected = `${inner.expected} or null`;
  }
  read(value: unknown, reader: Reader): T | null | Invalid {
    return value === null ? null : this.inner.read(value, reader);
  }
  jsonSchema(): JsonSchema {
    return { anyOf: [this.inner.jsonSchema(), { type: 'null' }] };
  }
}

/** A problem a refinement finds: its complaint, at `key` below the value when given. */
export interface Refusal {
  readonly key?: string | number;
  readonly complaint: string;
}

/** The inner schema, then a check of the whole value it read (a rule across fields, uniqueness...). */
export class RefinedSchema<T> extends Schema<T> {
  readonly expected: string;
  constructor(
    readonly inner: Schema<T>,
    readonly check: (value: T) => Refusal | undefined,
    expected?: string,
  ) {
    super();
    this.expected = expected ?? inner.expected;
  }
  read(value: unknown, reader: Reader): T | Invalid {
    const r = this.inner.read(value, reader);
    if (r === INVALID) return INVALID;
    const refusal = this.check(r);
    if (refusal === undefined) return r;
    const mark = reader.failures.length;
    reader.fail(refusal.complaint);
    if (refusal.key !== undefined) reader.within(refusal.key, mark);
    return INVALID;
  }
  jsonSchema(): JsonSchema {
    return this.inner.jsonSchema();
  }
}

/** The inner schema's value, turned into another by `convert` (e.g. a list without duplicates). */
export class TransformedSchema<I, O> extends Schema<O> {
  readonly expected: string;
  constructor(
    readonly inner: Schema<I>,
    readonly convert: (value: I) => O,
  ) {
    super();
    this.expected = inner.expected;
  }
  read(value: unknown, reader: Reader): O | Invalid {
    const r = this.inner.read(value, reader);
    return r === INVALID ? INVALID : this.convert(r);
  }
  jsonSchema(): JsonSchema {
    return this.inner.jsonSchema();
  }
}
