/**
 * Free-form data (a function's `extraArgs`, user tags): JSON-like values walked to a bounded depth, so a
 * hostile nesting cannot blow the stack, with finite numbers only. Values JSON cannot hold (typed arrays, Maps,
 * Dates, bigints, which CBOR and JS callers can send) are accepted only if `exotic` says so. The value is
 * returned as it is, not copied: data is only ever hashed and handed to the function.
 */

import { describe, INVALID, type JsonSchema, type Reader, Schema } from './core.js';
import { isPlainObject } from './object.js';

/** What `exotic` says is wrong with a value, and where below it (`[2].x`, or '' for the value itself). */
export interface DataProblem {
  readonly path: string;
  readonly problem: string;
}

export interface DataOptions {
  /** Deepest nesting of arrays and objects. Default 64. */
  readonly maxDepth?: number;
  /**
   * Decides a value that is not JSON-like (anything but null, strings, booleans, numbers, arrays and plain
   * objects): undefined accepts it, a DataProblem refuses it. Default: every such value is refused.
   */
  readonly exotic?: (value: unknown) => DataProblem | undefined;
}

export class DataSchema extends Schema<unknown> {
  readonly expected = 'JSON-like data';
  readonly #maxDepth: number;
  readonly #exotic: ((value: unknown) => DataProblem | undefined) | undefined;

  constructor(options: DataOptions = {}) {
    super();
    this.#maxDepth = options.maxDepth ?? 64;
    this.#exotic = options.exotic;
  }

  read(value: unknown, reader: Reader): unknown {
    return this.#walk(value, 0, reader) ? value : INVALID;
  }

  /** One failure at most per data value (the first found): a bad value is fixed in one place at a time. */
  #walk(value: unknown, depth: number, reader: Reader): boolean {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return true;
      reader.fail(`must be a finite number, got ${describe(value)}`);
      return false;
    }
    const isArray = Array.isArray(value);
    if (isArray || isPlainObject(value)) {
      if (depth >= this.#maxDepth) {
        reader.fail(`must be data nested at most ${this.#maxDepth} levels deep, got ${describe(value)}`);
        return false;
      }
      if (isArray) {
        for (let i = 0; i < value.length; i++) {
          const mark = reader.failures.length;
          if (!this.#walk(value[i], depth + 1, reader)) return this.#within(i, mark, reader);
        }
      } else {
        const o = value as Record<string, unknown>;
        for (const key of Object.keys(o)) {
          const mark = reader.failures.length;
          if (!this.#walk(o[key], depth + 1, reader)) return this.#within(key, mark, reader);
        }
      }
      return true;
    }
    const problem = this.#exotic === undefined ? { path: '', problem: '' } : this.#exotic(value);
    if (problem === undefined) return true;
    reader.fail(
      problem.problem
        ? `cannot be hashed: ${problem.problem}`
        : `must be JSON-like data, got ${describe(value)}`,
      problem.path || undefined,
    );
    return false;
  }

  #within(key: string | number, mark: number, reader: Reader): false {
    reader.within(key, mark);
    return false;
  }

  jsonSchema(): JsonSchema {
    return { description: `JSON data, nested at most ${this.#maxDepth} levels deep` };
  }
}
