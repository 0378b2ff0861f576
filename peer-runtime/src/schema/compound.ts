/**
 * The kit's compound schemas beside objects (object.ts): lists, dictionaries, tuples, tagged variants, and the few wrappers
 * (nullable, refine, transform). Every one returns fresh containers, so nothing a sender adds beyond a schema
 * reaches the layers above, and a caller that later mutates its input cannot change what was validated.
 *
 * Objects must be plain: an array, a Map, a class instance, or an object whose prototype was swapped (a
 * `__proto__` key assigned by a careless decoder) is refused, so a field read never finds an inherited value.
 */
import { describe, INVALID, type Invalid, type JsonSchema, type Reader, Schema } from './core.js';
import { isPlainObject } from './object.js';

/** Sets `key` on a fresh object even when it is `__proto__` (a plain assignment would set the prototype). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else out[key] = value;
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

/** Alternatives told apart by what kind of value arrives: a string, a boolean, an array, or an object. */
export class KindSchema<T> extends Schema<T> {
  constructor(
    readonly kinds: {
      readonly string?: Schema<T>;
      readonly boolean?: Schema<T>;
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
        : typeof value === 'boolean'
          ? this.kinds.boolean
          : Array.isArray(value)
            ? this.kinds.array
            : typeof value === 'object' && value !== null
              ? this.kinds.object
              : undefined;
    return schema === undefined ? this.wrong(value, reader) : schema.read(value, reader);
  }

  jsonSchema(): JsonSchema {
    const { string, boolean, array, object } = this.kinds;
    return {
      anyOf: [string, boolean, array, object].filter((s) => s !== undefined).map((s) => s.jsonSchema()),
    };
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
