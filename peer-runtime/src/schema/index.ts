/**
 * The validation kit (see core.ts for why it is hand-written and how failures travel): schemas built with the
 * factories below, read with `readFirst` / `readOrThrow` (stop at the first failure) or `readAll` (collect
 * every failure), and exported as JSON Schema with `toJsonSchema`.
 *
 *   const point = object<Point>({ x: number(), y: number(), label: optional(string({ max: 64 })) });
 *   readOrThrow(point, value, (f) => new ProtocolError(`field '${pathOf(f)}' ${f.complaint}`, pathOf(f)));
 */
import {
  type DictOptions,
  DictSchema,
  KindSchema,
  type ListOptions,
  ListSchema,
  NullableSchema,
  RefinedSchema,
  type Refusal,
  TransformedSchema,
  TupleSchema,
  VariantSchema,
} from './compound.js';
import type { Schema } from './core.js';
import { type DataOptions, DataSchema } from './data.js';
import { type Fields, type ObjectOptions, ObjectSchema, Optional } from './object.js';
import {
  AnySchema,
  BooleanSchema,
  BytesSchema,
  ChoiceSchema,
  ConstantSchema,
  type NumberOptions,
  NumberSchema,
  type StringOptions,
  StringSchema,
} from './primitives.js';

export type { Refusal } from './compound.js';
export {
  describe,
  type Failure,
  INVALID,
  type Infer,
  type Invalid,
  type JsonSchema,
  type Outcome,
  pathOf,
  Reader,
  readAll,
  readFirst,
  readOrThrow,
  Schema,
} from './core.js';
export type { DataProblem } from './data.js';
export { type Fields, isPlainObject, ObjectSchema, Optional } from './object.js';
export { closestName } from './suggest.js';

export const string = (options: StringOptions): Schema<string> => new StringSchema(options);
export const number = (options?: NumberOptions): Schema<number> => new NumberSchema(options);
export const boolean = (): Schema<boolean> => new BooleanSchema();
export const bytes = (): Schema<Uint8Array> => new BytesSchema();
export const anything = (): Schema<unknown> => new AnySchema();
export const data = (options?: DataOptions): Schema<unknown> => new DataSchema(options);
export const constant = <const T extends number | boolean>(value: T): Schema<T> => new ConstantSchema(value);
export const choice = <const T extends string>(allowed: readonly T[], name?: string): Schema<T> =>
  new ChoiceSchema(allowed, name);

/** A field that may be absent; with `fallback`, an absent field reads as `fallback()`. */
export const optional = <T>(schema: Schema<T>, fallback?: () => T): Optional<T> =>
  new Optional(schema, fallback);
export const object = <T>(fields: Fields<T>, options?: ObjectOptions): ObjectSchema<T> =>
  new ObjectSchema(fields, options);
export const list = <T>(item: Schema<T>, options: ListOptions): Schema<T[]> => new ListSchema(item, options);
export const dict = <T>(value: Schema<T>, options: DictOptions): Schema<Record<string, T>> =>
  new DictSchema(value, options);
export const tuple = <T extends readonly unknown[]>(
  items: { readonly [K in keyof T]: Schema<T[K]> },
  name?: string,
): Schema<T> => new TupleSchema<T>(items, name);
/** A union told apart by the string field `tag`; `tagName` and `expected` name a valid tag and a valid value. */
export const variant = <T>(
  tag: string,
  cases: { readonly [tag: string]: Schema<T> },
  tagName: string,
  expected?: string,
): Schema<T> => new VariantSchema(tag, cases, tagName, expected);
export const byKind = <T>(
  kinds: {
    readonly string?: Schema<T>;
    readonly boolean?: Schema<T>;
    readonly array?: Schema<T>;
    readonly object?: Schema<T>;
  },
  expected: string,
): Schema<T> => new KindSchema(kinds, expected);
export const nullable = <T>(inner: Schema<T>): Schema<T | null> => new NullableSchema(inner);
export const refine = <T>(
  inner: Schema<T>,
  check: (value: T) => Refusal | undefined,
  expected?: string,
): Schema<T> => new RefinedSchema(inner, check, expected);
export const transform = <I, O>(inner: Schema<I>, convert: (value: I) => O): Schema<O> =>
  new TransformedSchema(inner, convert);

/** A standalone JSON Schema document (draft 2020-12) for `schema`, with a title and an id. */
export function toJsonSchema(
  schema: Schema<unknown>,
  meta: { readonly $id: string; readonly title: string },
) {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...meta, ...schema.jsonSchema() };
}
