import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArgRef, FunctionSpec } from '../../src/dag/types.js';
import { assertValidDag, topologicalOrder, validateDag } from '../../src/dag/validate.js';
import { DagValidationError } from '../../src/errors.js';

const code = { kind: 'source', source: '(...xs) => xs.length' } as const;

function spec(id: string, args: ArgRef[] = [], extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { id, args, code, ...extra };
}

/** A random graph: node i takes inputs `edges[i]` (indices), listed in a shuffled order. */
const graphArb = (acyclic: boolean) =>
  fc
    .integer({ min: 1, max: 30 })
    .chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), {
          minLength: n,
          maxLength: n,
        }),
        order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      }),
    )
    .map(({ n, edges, order }) => {
      // For an acyclic graph keep only edges to lower-numbered nodes.
      const deps = edges.map((e, i) => (acyclic ? e.filter((j) => j < i) : e));
      const functions = order.map((i) =>
        spec(
          `n${i}`,
          deps[i]!.map((j) => `n${j}`),
        ),
      );
      return { n, deps, functions };
    });

function hasCycle(n: number, deps: number[][]): boolean {
  const waiting = deps.map((d) => d.length);
  const consumers: number[][] = Array.from({ length: n }, () => []);
  deps.forEach((d, i) => {
    for (const j of d) consumers[j]!.push(i);
  });
  const queue = [...Array(n).keys()].filter((i) => waiting[i] === 0);
  let seen = 0;
  while (queue.length) {
    const v = queue.pop()!;
    seen++;
    for (const c of consumers[v]!) if (--waiting[c]! === 0) queue.push(c);
  }
  return seen < n;
}

describe('validateDag', () => {
  it('accepts a DAG of more than 100,000 functions (issue 16: DAGs of millions), while a function keeps its 100,000-argument bound', () => {
    const n = 100_001;
    const functions = Array.from({ length: n }, (_, k) => ({
      id: `f${k}`,
      args: k === 0 ? [] : [`f${k - 1}`],
      code: { kind: 'source' as const, source: '(x) => 1' },
    }));
    expect(validateDag({ format: 'handout-dag', version: 1, functions })).toEqual([]);
    const wide: FunctionSpec = {
      id: 'wide',
      args: [],
      code: { kind: 'source', source: '() => 1' },
      extraArgs: new Array<number>(100_001).fill(0),
    };
    expect(validateDag([wide]).map((issue) => issue.field)).toContain('extraArgs');
  });

  it('accepts a valid DAG in either form: an array of specs or handout-dag JSON', () => {
    const functions = [
      spec('a'),
      spec('b', ['a']),
      spec('split', ['a'], { outputs: 2 }),
      spec('c', [['split', 1], 'b']),
    ];
    expect(validateDag(functions)).toEqual([]);
    expect(validateDag({ format: 'handout-dag', version: 1, functions })).toEqual([]);
  });

  it('reports every problem at once, each naming its function and field', () => {
    const issues = validateDag([
      spec('a', ['ghost']),
      spec('a'),
      spec('b', [['a', 0]]),
      spec('c', ['b'], { code: { kind: 'source', source: 'x => x + offset' } }),
      spec('d', [], {
        cost: { cpu: -1, memoryMB: Number.NaN, resources: { licences: Number.POSITIVE_INFINITY } },
      }),
      spec('e', [], { timeoutMs: 1.5, retries: -1 }),
      spec('f', ['f']),
    ]);
    const found = issues.map((i) => [i.code, i.functionId, i.field]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['missing-dependency', 'a', 'args[0]'],
        ['duplicate-id', 'a', 'id'],
        ['output-index', 'b', 'args[0]'],
        ['code', 'c', 'code'],
        ['cost', 'd', 'cost.cpu'],
        ['cost', 'd', 'cost.memoryMB'],
        ['cost', 'd', 'cost.resources.licences'],
        ['timeout', 'e', 'timeoutMs'],
        ['retries', 'e', 'retries'],
        ['cycle', 'f', 'args'],
      ]),
    );
    expect(issues).toHaveLength(10);
    expect(issues.find((i) => i.code === 'code')!.message).toContain("'offset'");
    for (const issue of issues) expect(issue.message).toContain(`'${issue.functionId}'`);
  });

  it('checks output indices against the producer: single-output producers take no index', () => {
    const base = [spec('one'), spec('three', [], { outputs: 3 })];
    expect(validateDag([...base, spec('x', [['three', 2]])])).toEqual([]);
    const issues = validateDag([
      ...base,
      spec('x', [
        ['three', 3],
        ['one', 0],
        ['three', -1],
      ]),
    ]);
    expect(issues.map((i) => [i.code, i.field])).toEqual([
      ['output-index', 'args[2]'],
      ['output-index', 'args[0]'],
      ['output-index', 'args[1]'],
    ]);
    expect(issues[1]!.message).toMatch(/outputs 0\.\.2/);
    expect(issues[2]!.message).toMatch(/single output/);
  });

  it('reports a cycle with its path in data-flow order', () => {
    const issues = validateDag([spec('a', ['c']), spec('b', ['a']), spec('c', ['b']), spec('d', ['c'])]);
    expect(issues).toEqual([
      {
        code: 'cycle',
        functionId: 'a',
        field: 'args',
        path: ['a', 'b', 'c', 'a'],
        message: expect.stringContaining('a → b → c → a'),
      },
    ]);
  });

  it('rejects untrusted shapes with a clear issue instead of throwing', () => {
    const bad: unknown[] = [
      null,
      'junk',
      { args: [] },
      { id: 'x', args: 'a', code },
      { id: 'y', args: [7, ['a'], ['a', 'b']], code },
      { id: 'z', code: { kind: 'wasm' }, outputs: 0, cache: 'yes', node: 5 },
      { id: 'm', code: { kind: 'module', module: '', export: 3 } },
      { id: 'e', code, extraArgs: [{ when: Number.NaN }] },
    ];
    const issues = validateDag(bad as FunctionSpec[]);
    const fields = issues.map((i) => `${i.functionId ?? '-'}:${i.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        '-:functions[0]',
        '-:functions[1]',
        '-:id',
        '-:code',
        'x:args',
        'y:args[0]',
        'y:args[1]',
        'y:args[2]',
        'z:code.kind',
        'z:outputs',
        'z:cache',
        'z:node',
        'm:code.module',
        'm:code.export',
        'e:extraArgs[0].when',
      ]),
    );
    expect(validateDag(42 as unknown as FunctionSpec[])[0]!.code).toBe('shape');
    expect(validateDag({ format: 'other', version: 2, functions: {} } as never).map((i) => i.field)).toEqual([
      'format',
      'version',
      'functions',
    ]);
  });

  it('never throws on arbitrary JSON, and always returns issues that say something', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.string(), fc.jsonValue()))), (value) => {
        const issues = validateDag(value as unknown as FunctionSpec[]);
        for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('always finds cycles, with a path whose every step is a real edge and that ends where it starts', () => {
    fc.assert(
      fc.property(graphArb(false), ({ n, deps, functions }) => {
        const cycles = validateDag(functions).filter((i) => i.code === 'cycle');
        expect(cycles.length > 0).toBe(hasCycle(n, deps));
        const byId = new Map(functions.map((f) => [f.id, f]));
        for (const cycle of cycles) {
          const path = cycle.path!;
          expect(path.length).toBeGreaterThanOrEqual(2);
          expect(path[0]).toBe(path[path.length - 1]);
          expect(cycle.functionId).toBe(path[0]);
          for (let k = 0; k + 1 < path.length; k++) {
            // path[k] is an input of path[k + 1]
            expect(byId.get(path[k + 1]!)!.args).toContain(path[k]);
          }
        }
        if (cycles.length > 0) expect(() => topologicalOrder(functions)).toThrow(DagValidationError);
      }),
      { numRuns: 300 },
    );
  });

  it('validates random acyclic DAGs clean, and orders every function after its inputs', () => {
    fc.assert(
      fc.property(graphArb(true), ({ functions }) => {
        expect(validateDag(functions)).toEqual([]);
        const order = topologicalOrder(functions);
        expect([...order].sort()).toEqual(functions.map((f) => f.id).sort());
        const position = new Map(order.map((id, i) => [id, i]));
        for (const f of functions) {
          for (const input of f.args)
            expect(position.get(input as string)!).toBeLessThan(position.get(f.id)!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles a 100,000-function chain and a 100,000-function cycle without exhausting the stack', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => spec(`f${i}`, i === 0 ? [] : [`f${i - 1}`]));
    expect(validateDag(chain)).toEqual([]);
    expect(topologicalOrder(chain)[99_999]).toBe('f99999');
    const ring = [spec('f0', ['f99999']), ...chain.slice(1)];
    const issues = validateDag(ring);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toHaveLength(100_001);
    expect(issues[0]!.path!.slice(0, 3)).toEqual(['f0', 'f1', 'f2']);
  });
});

describe('assertValidDag and topologicalOrder', () => {
  it('assertValidDag throws a DagValidationError carrying the issues', () => {
    try {
      assertValidDag([spec('a', ['nope'])]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DagValidationError);
      expect((error as DagValidationError).issues[0]).toMatchObject({
        code: 'missing-dependency',
        functionId: 'a',
      });
      expect((error as Error).message).toContain("'nope'");
    }
    expect(() => assertValidDag([spec('a')])).not.toThrow();
  });

  it('topologicalOrder keeps the given order among independent functions and refuses missing inputs', () => {
    expect(topologicalOrder([spec('c'), spec('b', ['c']), spec('a')])).toEqual(['c', 'a', 'b']);
    expect(() => topologicalOrder([spec('b', ['x'])])).toThrow(/'x'/);
  });
});
