import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalStringify, UnhashableValueError } from '../../src/dag/canonical.js';
import { hashFunctions, hashFunctionsByPosition, sha256Hex } from '../../src/dag/hash.js';
import type { ArgRef, FunctionSpec } from '../../src/dag/types.js';

const src = (source: string) => ({ kind: 'source', source }) as const;
const CODE = src('(...xs) => xs');

function spec(id: string, args: ArgRef[] = [], extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { id, args, code: CODE, ...extra };
}

/** Rebuild a value with every object's keys inserted in a different order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorderKeys(v, seed + i));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!);
    if (seed % 2) rotated.reverse();
    return Object.fromEntries(rotated.map(([k, v]) => [k, reorderKeys(v, seed + 1)]));
  }
  return value;
}

describe('canonicalStringify', () => {
  it('sorts keys, drops undefined members and writes -0 as 0', () => {
    expect(canonicalStringify({ b: 1, a: [-0, 'x', null], c: undefined, d: { z: true, y: false } })).toBe(
      '{"a":[0,"x",null],"b":1,"d":{"y":false,"z":true}}',
    );
  });

  it('encodes bytes, typed arrays, bigints, dates, maps and sets deterministically', () => {
    expect(canonicalStringify(new Uint8Array([1, 2, 3, 255]))).toBe('{"$bytes":"AQID/w=="}');
    expect(canonicalStringify(new Uint8Array([104, 105]))).toBe('{"$bytes":"aGk="}');
    expect(canonicalStringify(new Uint8Array([]))).toBe('{"$bytes":""}');
    expect(canonicalStringify(new Float32Array([1]))).toBe('{"$bytes":"AACAPw==","$typed":"Float32Array"}');
    expect(canonicalStringify(new Uint8Array([1, 2, 3]).subarray(1))).toBe('{"$bytes":"AgM="}');
    expect(canonicalStringify(12345678901234567890n)).toBe('{"$bigint":"12345678901234567890"}');
    expect(canonicalStringify(new Date(0))).toBe('{"$date":0}');
    expect(canonicalStringify(new Map([['k', 1]]))).toBe('{"$map":[["k",1]]}');
    expect(canonicalStringify(new Set([2, 1]))).toBe('{"$set":[2,1]}');
    expect(canonicalStringify([undefined])).toBe('[{"$undefined":true}]');
  });

  it('escapes user keys starting with $ so they never collide with tags', () => {
    expect(canonicalStringify({ $bytes: 'AQ==' })).toBe('{"$$bytes":"AQ=="}');
    expect(canonicalStringify({ $bytes: 'AQ==' })).not.toBe(canonicalStringify(new Uint8Array([1])));
  });

  it('refuses values without a canonical form, naming the path', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ a: [1, Number.NaN] }, '$.a[1]', /finite/],
      [{ 'odd key': Number.POSITIVE_INFINITY }, '$["odd key"]', /finite/],
      [{ f: () => 1 }, '$.f', /functions/],
      [[Symbol('s')], '$[0]', /symbols/],
      [{ when: new Date(Number.NaN) }, '$.when', /invalid Date/],
      [{ re: /x/ }, '$.re', /RegExp/],
    ];
    for (const [value, path, problem] of cases) {
      try {
        canonicalStringify(value);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(UnhashableValueError);
        expect((error as UnhashableValueError).path).toBe(path);
        expect((error as UnhashableValueError).problem).toMatch(problem);
      }
    }
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalStringify(loop)).toThrow(/circular reference/);
  });

  it('is stable under key order for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(5), (value, seed) => {
        expect(canonicalStringify(reorderKeys(value, seed))).toBe(canonicalStringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips JSON values: parsing the canonical text gives an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const hasDollarKey = JSON.stringify(value).includes('"$');
        fc.pre(!hasDollarKey);
        expect(JSON.parse(canonicalStringify(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sha256Hex', () => {
  it('matches node:crypto for short, long and non-ASCII text', () => {
    for (const text of ['', 'abc', 'é→😀'.repeat(5000), 'x'.repeat(100_000)]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });
});

describe('hashFunctions', () => {
  it('matches the documented preimage (golden values shared by Node and browsers)', () => {
    const hashes = hashFunctions([
      spec('a', [], { extraArgs: [1, { k: 'v' }] }),
      spec('s', [], { outputs: 2 }),
      {
        id: 'c',
        args: ['a', ['s', 1]],
        code: { kind: 'module', module: 'https://x/m.js', export: 'run' },
        extraArgs: ['é😀'],
      },
    ]);
    // Computed independently with Python's hashlib from the layout in hash.ts:
    //   fn(code_json, outputs, inputs, extra) = sha256(b'handout/function/v2\n' + sha256(code_json)
    //     + struct.pack('>II', outputs, len(inputs)) + b''.join(d + struct.pack('>I', k) for d, k in inputs)
    //     + extra.encode('utf-8'))
    // with code_json '{"kind":"source","source":"(...xs) => xs"}' for a and s,
    // '{"export":"run","kind":"module","module":"https://x/m.js"}' for c, and inputs [(a, 0), (s, 2)] for c.
    expect(Object.fromEntries(hashes)).toEqual({
      a: '22ec4c7f13b808020c1f929b4d363c6411b69cbe75cc12194909c8a4f05a0888',
      s: 'bc738f3e9263dedd916180882111340e1df976a5618b02d6807d47bfff7ac283',
      c: '8a8a06a4e8e924d0d47ca377213017154bbe8c8cc0688b694e220993333248af',
    });
  });

  it('hashes the same whatever order the functions are listed in, by id or by position', () => {
    const functions = [
      spec('a', [], { extraArgs: [1] }),
      spec('b', ['a']),
      spec('c', ['a', 'b'], { extraArgs: [{ z: 1, y: [null, true] }] }),
    ];
    const reversed = [...functions].reverse();
    expect(Object.fromEntries(hashFunctions(reversed))).toEqual(Object.fromEntries(hashFunctions(functions)));
    const byPosition = hashFunctionsByPosition(reversed);
    expect(byPosition).toEqual(reversed.map((f) => hashFunctions(functions).get(f.id)));
  });

  it('gives identical functions the same hash whatever their id, and ignores scheduling fields', () => {
    const hashes = hashFunctions([
      spec('x', [], { extraArgs: [1] }),
      spec('y', [], {
        extraArgs: [1],
        node: 'peer-1',
        cost: { cpu: 4 },
        timeoutMs: 10,
        retries: 3,
        cache: false,
      }),
    ]);
    expect(hashes.get('x')).toBe(hashes.get('y'));
    expect(hashes.get('x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('normalises defaults: no extraArgs is [] and no outputs is 1', () => {
    const [a, b] = [
      hashFunctions([spec('a')]),
      hashFunctions([spec('a', [], { extraArgs: [], outputs: 1 })]),
    ];
    expect(a.get('a')).toBe(b.get('a'));
  });

  const dagArb = fc
    .array(fc.record({ extra: fc.jsonValue(), inputs: fc.array(fc.nat(), { maxLength: 3 }) }), {
      minLength: 1,
      maxLength: 12,
    })
    .map((nodes) =>
      nodes.map((node, i) =>
        spec(`f${i}`, i === 0 ? [] : [...new Set(node.inputs.map((j) => `f${j % i}`))], {
          extraArgs: [node.extra],
        }),
      ),
    );

  it('is stable under the key order of extraArgs', () => {
    fc.assert(
      fc.property(dagArb, fc.nat(5), (functions, seed) => {
        const reordered = functions.map((f) => ({
          ...f,
          extraArgs: reorderKeys(f.extraArgs, seed) as unknown[],
        }));
        expect(hashFunctions(reordered)).toEqual(hashFunctions(functions));
      }),
      { numRuns: 200 },
    );
  });

  it('changes a function and everything downstream when its code, extraArgs or an upstream input changes', () => {
    fc.assert(
      fc.property(
        dagArb,
        fc.nat(),
        fc.constantFrom('code', 'extraArgs', 'outputs'),
        (functions, pick, what) => {
          const target = pick % functions.length;
          const changed = functions.map((f, i) => {
            if (i !== target) return f;
            if (what === 'code')
              return { ...f, code: src(`${f.code.kind === 'source' ? f.code.source : ''} `) };
            if (what === 'extraArgs') return { ...f, extraArgs: [...(f.extraArgs ?? []), 'changed'] };
            return { ...f, outputs: 2 };
          });
          const before = hashFunctions(functions);
          const after = hashFunctions(changed);
          // Everything that reaches the target through inputs must change; nothing else may.
          const affected = new Set([`f${target}`]);
          for (const f of functions) if (f.args.some((a) => affected.has(a as string))) affected.add(f.id);
          for (const f of functions) {
            if (affected.has(f.id)) expect(after.get(f.id)).not.toBe(before.get(f.id));
            else expect(after.get(f.id)).toBe(before.get(f.id));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('distinguishes which output of an input is taken and the order of inputs', () => {
    const base = [spec('s', [], { outputs: 2 }), spec('t')];
    const h = (args: ArgRef[]) => hashFunctions([...base, spec('c', args)]).get('c');
    expect(h([['s', 0]])).not.toBe(h([['s', 1]]));
    expect(h([['s', 0]])).not.toBe(h(['s']));
    expect(h(['s', 't'])).not.toBe(h(['t', 's']));
  });

  it('hashes module references by URL and export', () => {
    const m = (module: string, name: string) =>
      hashFunctions([{ id: 'm', args: [], code: { kind: 'module', module, export: name } }]).get('m');
    expect(m('https://x/a.js', 'run')).toBe(m('https://x/a.js', 'run'));
    expect(m('https://x/a.js', 'run')).not.toBe(m('https://x/b.js', 'run'));
    expect(m('https://x/a.js', 'run')).not.toBe(m('https://x/a.js', 'go'));
  });

  it('names the function when its extraArgs cannot be hashed', () => {
    expect(() => hashFunctions([spec('bad', [], { extraArgs: [{ n: Number.NaN }] })])).toThrow(
      /function 'bad'\.extraArgs\[0\]\.n/,
    );
  });

  it('hashes extraArgs outside plain data (bytes, dates, maps, $ keys) by their canonical text', () => {
    const values = [
      new Uint8Array([1, 2]),
      new Date(5),
      new Map([[1, 2]]),
      { $x: 1 },
      [undefined],
      2n ** 70n,
    ];
    const hashes = hashFunctions(values.map((v, i) => spec(`f${i}`, [], { extraArgs: [v] })));
    expect(new Set(hashes.values()).size).toBe(values.length);
    expect(hashFunctions([spec('m', [], { extraArgs: [new Map([[1, 2]])] })]).get('m')).toBe(
      hashes.get('f2'),
    );
  });

  it('refuses an output count or index that does not fit the preimage, naming the function', () => {
    expect(() => hashFunctions([spec('o', [], { outputs: 1.5 })])).toThrow(/function 'o'\.outputs/);
    expect(() => hashFunctions([spec('s', [], { outputs: 2 }), spec('t', [['s', -1]])])).toThrow(
      /function 't'\.args\[0\]\[1\]/,
    );
  });
});
