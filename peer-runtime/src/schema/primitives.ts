/**
 * The kit's leaf schemas: strings, numbers, booleans, byte strings, fixed values. Each says what it expects in
 * words (`expected`), used by complaints and by the JSON Schema export (json-schema.ts).
 */
import { describe, type Invalid, type JsonSchema, type Reader, Schema } from './core.js';

export interface StringOptions {
  /** Fewest characters (UTF-16 units). Default 0. */
  readonly min?: number;
  /** Most characters (UTF-16 units); always given, so no field accepts an unbounded string. */
  readonly max: number;
  /** A pattern the whole string must match (anchor it). Default: none. */
  readonly pattern?: RegExp;
  /** How complaints name a valid value. Default 'a non-empty string' when `min` > 0, else 'a string'. */
  readonly name?: string;
}

export class StringSchema extends Schema<string> {
  readonly expected: string;
  readonly #min: number;
  readonly #max: number;
  readonly #pattern: RegExp | undefined;

  constructor(options: StringOptions) {
    super();
    this.#min = options.min ?? 0;
    this.#max = options.max;
    this.#pattern = options.pattern;
    this.expected = options.name ?? (this.#min > 0 ? 'a non-empty string' : 'a string');
  }

  read(value: unknown, reader: Reader): string | Invalid {
    if (typeof value !== 'string') return this.wrong(value, reader);
    const n = value.length;
    if (n > this.#max) return reader.fail(`must be at most ${this.#max} characters, got ${n}`);
    if (n < this.#min) {
      return this.#min === 1
        ? this.wrong(value, reader)
        : reader.fail(`must be at least ${this.#min} characters, got ${n}`);
    }
    if (this.#pattern !== undefined && !this.#pattern.test(value)) {
      return reader.fail(`must match ${this.#pattern}, got ${describe(value)}`);
    }
    return value;
  }

  jsonSchema(): JsonSchema {
    return {
      type: 'string',
      ...(this.#min > 0 && { minLength: this.#min }),
      maxLength: this.#max,
      ...(this.#pattern && { pattern: this.#pattern.source }),
    };
  }
}

export interface NumberOptions {
  /** Only safe integers. Default false (any finite number). */
  readonly integer?: boolean;
  /** Smallest allowed value, inclusive. Default: none. */
  readonly min?: number;
  /** Values must be greater than this (exclusive). Default: none. */
  readonly above?: number;
  /** Largest allowed value, inclusive. Default: none. */
  readonly max?: number;
  /** How complaints name a valid value. Default: built from the options (`an integer >= 0`). */
  readonly name?: string;
}

/** Finite numbers only: NaN and ±Infinity never pass (CBOR and JS callers can send them; JSON cannot). */
export class NumberSchema extends Schema<number> {
  readonly expected: string;
  readonly #integer: boolean;
  readonly #min: number;
  readonly #above: number;
  readonly #max: number;

  constructor(readonly options: NumberOptions = {}) {
    super();
    this.#integer = options.integer ?? false;
    this.#min = options.min ?? Number.NEGATIVE_INFINITY;
    this.#above = options.above ?? Number.NEGATIVE_INFINITY;
    this.#max = options.max ?? Number.POSITIVE_INFINITY;
    this.expected = options.name ?? numberName(options);
  }

  read(value: unknown, reader: Reader): number | Invalid {
    if (typeof value !== 'number') return this.wrong(value, reader);
    if (this.#integer ? !Number.isSafeInteger(value) : !Number.isFinite(value)) {
      return this.wrong(value, reader);
    }
    if (value < this.#min || value <= this.#above || value > this.#max) return this.wrong(value, reader);
    return value;
  }

  jsonSchema(): JsonSchema {
    const { min, above, max } = this.options;
    return {
      type: this.#integer ? 'integer' : 'number',
      ...(min !== undefined && { minimum: min }),
      ...(above !== undefined && { exclusiveMinimum: above }),
      ...(max !== undefined && { maximum: max }),
    };
  }
}

function numberName({ integer, min, above, max }: NumberOptions): string {
  const base = integer ? 'an integer' : 'a finite number';
  if (min !== undefined && max !== undefined) return `${base} between ${min} and ${max}`;
  const bounds = [
    min !== undefined ? `>= ${min}` : undefined,
    above !== undefined ? `> ${above}` : undefined,
    max !== undefined ? `<= ${max}` : undefined,
  ].filter((b) => b !== undefined);
  return bounds.length > 0 ? `${base} ${bounds.join(' and ')}` : base;
}

export class BooleanSchema extends Schema<boolean> {
  readonly expected = 'true or false';
  read(value: unknown, reader: Reader): boolean | Invalid {
    return typeof value === 'boolean' ? value : this.wrong(value, reader);
  }
  jsonSchema(): JsonSchema {
    return { type: 'boolean' };
  }
}

/** A byte string (CBOR major type 2 decodes to a Uint8Array, a Buffer in Node); returned as is, never copied. */
export class BytesSchema extends Schema<Uint8Array> {
  readonly expected = 'a byte string (Uint8Array)';
  read(value: unknown, reader: Reader): Uint8Array | Invalid {
    return value instanceof Uint8Array ? value : this.wrong(value, reader);
  }
  jsonSchema(): JsonSchema {
    // JSON has no bytes; the DAG format never holds any. Said for completeness of the export.
    return { description: 'bytes (CBOR byte string); not representable in JSON' };
  }
}

/** One of a fixed list of strings (a union of string literals). */
export class ChoiceSchema<T extends string> extends Schema<T> {
  readonly expected: string;
  readonly #allowed: ReadonlySet<string>;
  constructor(
    readonly allowed: readonly T[],
    name?: string,
  ) {
    super();
    this.#allowed = new Set(allowed);
    this.expected =
      name ??
      (allowed.length === 1 ? `'${allowed[0]}'` : `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  read(value: unknown, reader: Reader): T | Invalid {
    // A Set lookup, never `value in table`: 'constructor' or '__proto__' must not find Object.prototype's.
    return typeof value === 'string' && this.#allowed.has(value) ? (value as T) : this.wrong(value, reader);
  }
  jsonSchema(): JsonSchema {
    return this.allowed.length === 1 ? { const: this.allowed[0] } : { enum: [...this.allowed] };
  }
}

/** Exactly one value (`version: 1`, `renegotiate: true`). */
export class ConstantSchema<T extends number | boolean> extends Schema<T> {
  readonly expected: string;
  constructor(readonly value: T) {
    super();
    this.expected = `${describe(value)}`;
  }
  read(value: unknown, reader: Reader): T | Invalid {
    return value === this.value ? this.value : this.wrong(value, reader);
  }
  jsonSchema(): JsonSchema {
    return { const: this.value };
  }
}

/** Anything at all, returned as is: for values whose meaning a later step decides. */
export class AnySchema extends Schema<unknown> {
  readonly expected = 'any value';
  read(value: unknown): unknown {
    return value;
  }
  jsonSchema(): JsonSchema {
    return {};
  }
}
