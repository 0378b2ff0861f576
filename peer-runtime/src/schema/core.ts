/**
 * Handout's one validation kit, used at every boundary where data from outside arrives: data-channel messages
 * (protocol/), signaling events (signaling/), DAG specs (dag/), and CLI and config-file input (cli/). A schema
 * is a small object that reads an `unknown` and returns it typed, as a fresh value holding only the fields it
 * knows, or reports what is wrong and where. Each boundary keeps its own outward form of a failure:
 * - protocol: `readOrThrow` throws a ProtocolError at the first failure, naming its path
 *   (`assignments[3].spec.args[1]`);
 * - signaling: a `Validation<T>` result whose error names the field;
 * - DAG validation: `readAll` collects every failure, which dag/validate-fields.ts turns into DagIssues naming
 *   the function and the field.
 *
 * Why hand-written rather than a schema library (measured on this machine, `batch` of 100 `task:assign`, µs of
 * CPU per assignment, decode + validate of today's hand-written readers 4.7): valibot's safeParse took 4.9 to
 * validate alone (decode + validate would be about 2× today's, far outside the 1.2× budget of the receive
 * path), and TypeBox's compiled Check, fast (0.21), compiles with `new Function` (refused by a strict
 * Content-Security-Policy in the contribute page), only answers yes or no (its error list is a second, slow
 * pass), and neither copies nor strips. The kit does what those do that we need in about 500 lines.
 *
 * How failures travel: a schema's `read` returns the INVALID marker after recording a Failure in the Reader,
 * never throwing. The failure's path is built on the way out: each enclosing object, list or dict adds its key
 * to the failures recorded below it, so a valid value costs no path strings at all (the mesh's hot path
 * validates thousands of assignments a second), and a failure costs one segment per level.
 */

/** A JSON Schema document or subschema (draft 2020-12), as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** What `read` returns for a value that failed; the failure itself is in the Reader. */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** One problem found in a value. */
export interface Failure {
  /**
   * Where, from the innermost key outwards (reversed, because enclosing schemas add their keys on the way out);
   * `pathOf` renders it.
   */
  readonly segments: (string | number)[];
  /** What is wrong, said of the field: `must be a string, got 3`, `is missing (must be an id)`. */
  readonly complaint: string;
  /** A path below the innermost segment found by a nested check that renders its own (data values). */
  readonly below?: string;
}

/**
 * The state of one validation: the failures so far and whether to stop at the first one. Reused by a boundary
 * for many values (`reset`), so validating allocates nothing beyond the values it returns.
 */
export class Reader {
  readonly failures: Failure[] = [];
  constructor(
    /** True: keep reading after a failure to find every problem (DAG validation). False: stop at the first. */
    readonly collectAll: boolean,
  ) {}

  /** Records a failure of the value being read and returns INVALID for the schema to return. */
  fail(complaint: string, below?: string): Invalid {
    this.failures.push(
      below === undefined ? { segments: [], complaint } : { segments: [], complaint, below },
    );
    return INVALID;
  }

  /** True once a failure is recorded and this reader stops at the first. */
  get done(): boolean {
    return !this.collectAll && this.failures.length > 0;
  }

  /** Adds `key` to the path of every failure recorded since `mark` (the failure count when `key` was entered). */
  within(key: string | number, mark: number): void {
    const failures = this.failures;
    for (let i = mark; i < failures.length; i++) failures[i]!.segments.push(key);
  }

  reset(): void {
    this.failures.length = 0;
  }
}

/** A path as the errors show it: `a.b[2].c`; '' for the value itself. */
export function pathOf(failure: Failure, prefix = ''): string {
  let path = prefix;
  const segments = failure.segments;
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    path = typeof s === 'number' ? `${path}[${s}]` : path ? `${path}.${s}` : s;
  }
  const below = failure.below;
  if (below) {
    // A nested check's own path: `[2].x` or `.x` joins as it is; a bare `x` gets its dot.
    const joined = below.startsWith('.') || below.startsWith('[');
    path = path ? (joined ? `${path}${below}` : `${path}.${below}`) : below.replace(/^\./, '');
  }
  return path;
}

/** A short, safe description of a value for a complaint: never the whole of a big or hostile value. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `the bigint ${value.toString().slice(0, 40)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  return 'an object';
}

/**
 * A schema: reads an unknown value into a `T`, or records a failure and returns INVALID. Subclasses are the
 * primitives (primitives.ts) and the compound schemas (compound.ts).
 */
export abstract class Schema<T> {
  /** What a valid value is, as complaints say it after "must be": `a string of at most 64 characters`. */
  abstract readonly expected: string;
  abstract read(value: unknown, reader: Reader): T | Invalid;
  /** The same rules as a JSON Schema (draft 2020-12), as far as JSON can say them (json-schema.ts). */
  abstract jsonSchema(): JsonSchema;

  /** The complaint for a value of the wrong kind. */
  protected wrong(value: unknown, reader: Reader): Invalid {
    return reader.fail(`must be ${this.expected}, got ${describe(value)}`);
  }
}

/** The type a schema reads. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A validation outcome as data (signaling's `Validation<T>` and the CLI's checks are this shape). */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: Failure };

/**
 * Reads `value` stopping at the first failure. Anything a hostile value makes throw on the way (a getter, a
 * Proxy trap) is reported as a failure of the value as a whole rather than escaping as another exception.
 */
export function readFirst<T>(schema: Schema<T>, value: unknown, reader = new Reader(false)): Outcome<T> {
  reader.reset();
  let out: T | Invalid;
  try {
    out = schema.read(value, reader);
  } catch (error) {
    reader.reset();
    reader.fail(`could not be read: ${error instanceof Error ? error.name : typeof error}`);
    out = INVALID;
  }
  if (out === INVALID) return { ok: false, failure: reader.failures[0]! };
  return { ok: true, value: out };
}

/** Reads `value` with every failure collected (`reader.failures`); INVALID when there is any. */
export function readAll<T>(schema: Schema<T>, value: unknown, reader = new Reader(true)): T | Invalid {
  reader.reset();
  try {
    return schema.read(value, reader);
  } catch (error) {
    reader.fail(`could not be read: ${error instanceof Error ? error.name : typeof error}`);
    return INVALID;
  }
}

/**
 * Reads `value` or throws the error `toError` makes of the first failure (the protocol's ProtocolError); the
 * reader is reused, so a boundary that validates many values allocates it once.
 */
export function readOrThrow<T>(
  schema: Schema<T>,
  value: unknown,
  toError: (failure: Failure) => Error,
  reader = new Reader(false),
): T {
  const outcome = readFirst(schema, value, reader);
  if (outcome.ok) return outcome.value;
  throw toError(outcome.failure);
}
