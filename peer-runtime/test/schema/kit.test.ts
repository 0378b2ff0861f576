import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boolean,
  choice,
  closestName,
  data,
  list,
  number,
  object,
  optional,
  pathOf,
  Reader,
  readAll,
  readFirst,
  type Schema,
  string,
} from '../../src/schema/index.js';

interface Leaf {
  readonly name: string;
  readonly size?: number;
}
interface Tree {
  readonly kind: 'tree';
  readonly leaves: readonly Leaf[];
  readonly tags: readonly string[];
  readonly extra?: readonly unknown[];
  readonly on?: boolean;
}

/** The same schema, with generated object readers or with the interpreted loop. */
function treeSchema(compile: boolean): Schema<Tree> {
  const leaf = object<Leaf>(
    { name: string({ min: 1, max: 8 }), size: optional(number({ integer: true, min: 0 })) },
    { unknownKeys: 'refuse', compile },
  );
  return object<Tree>(
    {
      kind: choice(['tree']),
      leaves: list(leaf, { max: 4 }),
      tags: optional(list(string({ max: 4 }), { max: 3 }), () => []),
      extra: optional(list(data({ maxDepth: 3 }), { max: 3 })),
      on: optional(boolean()),
    },
    { compile },
  );
}

/** Every failure as `path: complaint`, for comparing two readers. */
function failures(reader: Reader): string[] {
  return reader.failures.map((f) => `${pathOf(f)}: ${f.complaint}`);
}

describe('the validation kit', () => {
  it('generated object readers and the interpreted loop agree on every value, valid or not', () => {
    const compiled = treeSchema(true);
    const interpreted = treeSchema(false);
    /** Mostly a valid value, sometimes anything: both outcomes get compared. */
    const mostly = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
    const leafArb = fc.oneof(
      { arbitrary: fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }) }), weight: 4 },
      fc.record({
        name: fc.string({ maxLength: 10 }),
        size: fc.option(fc.integer({ min: -2, max: 3 }), { nil: undefined }),
      }),
      fc.dictionary(fc.constantFrom('name', 'size', 'nmae', '__proto__', 'constructor'), fc.jsonValue()),
    );
    const treeArb = fc.record(
      {
        kind: fc.oneof({ arbitrary: fc.constant('tree'), weight: 6 }, fc.constantFrom('bush', 3)),
        leaves: mostly(fc.array(leafArb, { maxLength: 3 })),
        tags: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.constant(undefined)),
        extra: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 5 }), { maxLength: 3 }), fc.constant(undefined)),
        on: mostly(fc.boolean()),
      },
      { requiredKeys: ['kind', 'leaves'] },
    );
    let valid = 0;
    fc.assert(
      fc.property(treeArb, (value) => {
        if (readFirst(interpreted, value).ok) valid++;
        for (const collectAll of [false, true]) {
          const a = new Reader(collectAll);
          const b = new Reader(collectAll);
          const outA = readAll(compiled, value, a);
          const outB = readAll(interpreted, value, b);
          expect(outA).toEqual(outB);
          expect(failures(a)).toEqual(failures(b));
        }
      }),
      { numRuns: 500 },
    );
    // Both kinds of outcome were compared, not only refusals.
    expect(valid).toBeGreaterThan(10);
    expect((compiled as unknown as { compiled: boolean }).compiled).toBe(true);
    expect((interpreted as unknown as { compiled: boolean }).compiled).toBe(false);
  });

  it('names each failure by its path, innermost key last, and stops at the first unless collecting', () => {
    const schema = object<{ a: { b: readonly number[] }; c: string }>({
      a: object({ b: list(number(), { max: 9 }) }),
      c: string({ max: 3 }),
    });
    const bad = { a: { b: [1, 'two', Number.NaN] }, c: 'long' };
    const first = readFirst(schema, bad);
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(pathOf(first.failure)).toBe('a.b[1]');
      expect(first.failure.complaint).toBe('must be a finite number, got "two"');
      expect(pathOf(first.failure, 'auth')).toBe('auth.a.b[1]');
    }
    const reader = new Reader(true);
    readAll(schema, bad, reader);
    expect(failures(reader)).toEqual([
      'a.b[1]: must be a finite number, got "two"',
      'a.b[2]: must be a finite number, got NaN',
      'c: must be at most 3 characters, got 4',
    ]);
  });

  it('returns fresh objects holding only the known fields, and keeps absent optional fields absent', () => {
    const schema = object<{ a: number; b?: number }>({ a: number(), b: optional(number()) });
    const input = { a: 1, zz: 2 };
    const out = readFirst(schema, input);
    expect(out).toEqual({ ok: true, value: { a: 1 } });
    if (out.ok) {
      expect(out.value).not.toBe(input);
      expect(Object.keys(out.value)).toEqual(['a']);
    }
  });

  it('refuses objects that are not plain: arrays, class instances, a swapped prototype', () => {
    const schema = object<{ a?: number }>({ a: optional(number()) });
    class Thing {
      a = 1;
    }
    for (const value of [[], new Thing(), new Map(), Object.setPrototypeOf({ a: 1 }, { a: 2 })]) {
      expect(readFirst(schema, value).ok).toBe(false);
    }
    expect(readFirst(schema, Object.create(null)).ok).toBe(true);
  });

  it('reports a value whose getter or Proxy trap throws as unreadable instead of throwing', () => {
    const schema = object<{ a: number }>({ a: number() });
    const getter = Object.defineProperty({}, 'a', {
      enumerable: true,
      get() {
        throw new TypeError('boom');
      },
    });
    const proxy = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    for (const value of [getter, proxy]) {
      const out = readFirst(schema, value);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.failure.complaint).toMatch(/^could not be read: (TypeError|Error)$/);
    }
  });

  it('refuses data nested deeper than its bound without recursing further', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const out = readFirst(data({ maxDepth: 64 }), deep);
    expect(out.ok).toBe(false);
    if (!out.ok)
      expect(out.failure.complaint).toBe('must be data nested at most 64 levels deep, got an array of 1');
  });

  it('suggests the name a near miss was meant to be, and nothing for a far one', () => {
    const keys = ['id', 'args', 'code', 'outputs', 'timeoutMs', 'retries', 'extraArgs', 'cache'];
    expect(closestName('timeout', keys)).toBe('timeoutMs');
    expect(closestName('extraargs', keys)).toBe('extraArgs');
    expect(closestName('retires', keys)).toBe('retries');
    expect(closestName('ouputs', keys)).toBe('outputs');
    expect(closestName('colour', keys)).toBeUndefined();
    expect(closestName('x'.repeat(100_000), keys)).toBeUndefined();
  });
});
