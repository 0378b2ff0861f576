import { DagValidationError, hashFunctions } from '@handout/peer-runtime';
import { describe, expect, it } from 'vitest';
import { Dag, dag } from '../src/builder.js';

describe('dag() builder', () => {
  it('captures functions as source, in order, with their options', () => {
    const built = dag()
      .fn({ id: 'load', code: () => [1, 2, 3] })
      .fn({ id: 'split', args: ['load'], outputs: 2, code: (xs: number[]) => [xs.slice(0, 1), xs.slice(1)] })
      .fn({
        id: 'sum',
        args: [['split', 1], 'load'],
        code: (tail: number[], all: number[], k: number) => tail.length + all.length * k,
        extraArgs: [10],
        cost: { cpu: 2, estimateMs: 5 },
        timeoutMs: 1000,
        retries: 2,
        cache: false,
        node: { platform: 'node' },
      })
      .build();
    expect(built).toBeInstanceOf(Dag);
    expect(built.functions.map((f) => f.id)).toEqual(['load', 'split', 'sum']);
    // The text is whatever Function.prototype.toString gives (the test transform may re-indent it): run it.
    const load = built.get('load')!.code;
    expect(load.kind).toBe('source');
    if (load.kind === 'source') expect(new Function(`return (\n${load.source}\n)`)()()).toEqual([1, 2, 3]);
    expect(built.get('sum')).toMatchObject({
      args: [['split', 1], 'load'],
      extraArgs: [10],
      cost: { cpu: 2, estimateMs: 5 },
      timeoutMs: 1000,
      retries: 2,
      cache: false,
      node: { platform: 'node' },
    });
    expect(built.get('load')).not.toHaveProperty('timeoutMs');
  });

  it('accepts method shorthand in the options and rewrites it to a function expression', () => {
    const built = dag()
      .fn({
        id: 'double',
        code(x: number) {
          return x * 2;
        },
        extraArgs: [4],
      })
      .build();
    const code = built.get('double')!.code;
    expect(code.kind).toBe('source');
    if (code.kind === 'source') {
      expect(code.source).toMatch(/^function \(x\)/);
      expect(new Function(`return (\n${code.source}\n)`)()(4)).toBe(8);
    }
  });

  it('accepts source strings and module references', () => {
    const built = dag()
      .fn({ id: 'a', code: '(n) => n + 1' })
      .fn({ id: 'b', args: ['a'], code: { module: 'https://example.test/m.js', export: 'run' } })
      .build();
    expect(built.get('a')!.code).toEqual({ kind: 'source', source: '(n) => n + 1' });
    expect(built.get('b')!.code).toEqual({
      kind: 'module',
      module: 'https://example.test/m.js',
      export: 'run',
    });
  });

  it('names the function and the captured variables when code closes over outer state', () => {
    const offset = 3;
    const scale = 2;
    try {
      dag()
        .fn({ id: 'ok', code: () => 1 })
        .fn({ id: 'shift', args: ['ok'], code: (x: number) => x * scale + offset })
        .build();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DagValidationError);
      const [issue] = (error as DagValidationError).issues;
      expect(issue).toMatchObject({ code: 'code', functionId: 'shift', field: 'code' });
      expect(issue!.message).toContain("function 'shift'");
      expect(issue!.message).toContain("'offset'");
      expect(issue!.message).toContain("'scale'");
    }
  });

  it('explains bound, native, class and this-using method functions, naming each function', () => {
    class Counter {
      n = 0;
      bump() {
        return ++this.n;
      }
    }
    const counter = new Counter();
    const issues = (() => {
      try {
        dag()
          .fn({ id: 'bound', code: ((a: number) => a).bind(null) })
          .fn({ id: 'native', code: Math.max })
          .fn({ id: 'klass', code: Counter })
          .fn({ id: 'method', code: counter.bump })
          .build();
      } catch (error) {
        return (error as DagValidationError).issues;
      }
      return [];
    })();
    expect(issues.map((i) => [i.functionId, i.code])).toEqual([
      ['bound', 'code'],
      ['native', 'code'],
      ['klass', 'code'],
      ['method', 'code'],
    ]);
    expect(issues[0]!.message).toMatch(/function 'bound'.*bound function/);
    expect(issues[1]!.message).toMatch(/function 'native'.*native function \('max'\)/);
    expect(issues[2]!.message).toMatch(/function 'klass'.*class/);
    expect(issues[3]!.message).toMatch(/function 'method'.*this/);
  });

  it('reports every problem at build time, not just the first', () => {
    const b = dag()
      .fn({ id: 'a', code: () => 1, cost: { cpu: -1 } })
      .fn({ id: 'a', code: () => 2 })
      .fn({ id: 'b', args: ['a'], code: () => 3, timeoutMs: -5 });
    expect(() => b.build()).toThrow(DagValidationError);
    try {
      b.build();
    } catch (error) {
      expect((error as DagValidationError).issues.map((i) => i.code).sort()).toEqual([
        'cost',
        'duplicate-id',
        'timeout',
      ]);
    }
  });

  it('type-checks args against earlier ids', () => {
    const b = dag().fn({ id: 'first', code: () => 1 });
    // @ts-expect-error 'second' is not declared yet
    b.fn({ id: 'x', args: ['second'], code: () => 1 });
    b.fn({ id: 'y', args: ['first'], code: () => 1 });
    expect(b.size).toBe(3);
  });
});

describe('Dag', () => {
  const sample = () =>
    dag()
      .fn({ id: 'a', code: () => 1, extraArgs: [{ b: 2, a: [1, 'x'] }] })
      .fn({ id: 'b', args: ['a'], code: (x: number) => x + 1, cost: { cpu: 1, resources: { licence: 1 } } })
      .build();

  it('round-trips through toJSON and fromJSON (value and text)', () => {
    const original = sample();
    const text = JSON.stringify(original);
    expect(JSON.parse(text)).toEqual({ format: 'handout-dag', version: 1, functions: expect.any(Array) });
    const fromText = Dag.fromJSON(text);
    expect(fromText.toJSON()).toEqual(original.toJSON());
    expect(Dag.fromJSON(original.toJSON()).toJSON()).toEqual(original.toJSON());
    expect(fromText.hashes()).toEqual(original.hashes());
  });

  it('is immutable, including against later changes to the options it was built from', () => {
    const extra = { n: 1 };
    const built = dag()
      .fn({ id: 'a', code: () => 1, extraArgs: [extra] })
      .build();
    extra.n = 2;
    expect(built.get('a')!.extraArgs).toEqual([{ n: 1 }]);
    expect(Object.isFrozen(built.functions)).toBe(true);
    expect(Object.isFrozen(built.get('a'))).toBe(true);
    expect(() => {
      (built.get('a')!.extraArgs as unknown[]).push(3);
    }).toThrow(TypeError);
  });

  it('fromJSON rejects bad text and invalid DAGs with DagValidationError', () => {
    expect(() => Dag.fromJSON('{ not json')).toThrow(/not valid JSON/);
    expect(() =>
      Dag.fromJSON({
        format: 'handout-dag',
        version: 1,
        functions: [{ id: 'x', args: ['y'], code: { kind: 'source', source: '() => 1' } }],
      }),
    ).toThrow(DagValidationError);
  });

  it('exposes hashes equal to hashFunctions, validate() empty, and a topological order', () => {
    const built = sample();
    expect(built.hashes()).toEqual(hashFunctions(built.functions));
    expect(built.validate()).toEqual([]);
    expect(built.topologicalOrder()).toEqual(['a', 'b']);
    expect(built.size).toBe(2);
    expect(built.has('b')).toBe(true);
  });
});

describe('unknown options', () => {
  it('a misspelt option is refused by name, with the option it was probably meant to be', () => {
    const build = () =>
      dag()
        .fn({ id: 'a', code: () => 1, timeout: 500 } as never)
        .fn({ id: 'b', args: ['a'], code: (x: number) => x, extraargs: [1] } as never)
        .build();
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DagValidationError);
    expect((error as DagValidationError).issues).toEqual([
      {
        code: 'shape',
        functionId: 'a',
        field: 'timeout',
        message: "function 'a': timeout is not a function spec field (did you mean 'timeoutMs'?)",
      },
      {
        code: 'shape',
        functionId: 'b',
        field: 'extraargs',
        message: "function 'b': extraargs is not a function spec field (did you mean 'extraArgs'?)",
      },
    ]);
  });

  it('an unknown key with no near miss is still refused, and so is one inside cost or node', () => {
    const issues = (() => {
      try {
        dag()
          .fn({
            id: 'a',
            code: () => 1,
            colour: 'red',
            cost: { cpus: 2 },
            node: { platfrom: 'node' },
          } as never)
          .build();
      } catch (e) {
        return (e as DagValidationError).issues;
      }
      return [];
    })();
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      [
        'node.platfrom',
        "function 'a': node.platfrom is not a node selector field (did you mean 'platform'?)",
      ],
      [
        'cost.cpus',
        "function 'a': cost.cpus is not a cost field (custom resources go in cost.resources) (did you mean 'cpu'?)",
      ],
      ['colour', "function 'a': colour is not a function spec field"],
    ]);
  });
});
