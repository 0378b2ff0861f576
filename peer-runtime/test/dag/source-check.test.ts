import { describe, expect, it } from 'vitest';
import { checkSource, normalizeFunctionSource } from '../../src/dag/source-check.js';

function freeOf(source: string): string[] | undefined {
  const r = checkSource(source);
  return r.ok ? [] : r.freeVariables;
}

describe('checkSource', () => {
  it('accepts self-contained arrows, function expressions, async and generator functions', () => {
    for (const source of [
      '(a, b) => a + b',
      'x => x * 2',
      'async (x) => { await Promise.resolve(); return x }',
      'function f(n) { return n < 2 ? n : f(n - 1) + f(n - 2) }',
      'async function* g() { yield 1 }',
      'function () { return arguments.length }',
    ]) {
      expect(checkSource(source), source).toEqual({ ok: true });
    }
  });

  it('accepts a trailing line comment, which would otherwise swallow the wrapping parenthesis', () => {
    expect(checkSource('x => x // doubles nothing')).toEqual({ ok: true });
  });

  it('names every captured variable, sorted', () => {
    const r = checkSource('(a) => a + offset + scale * factor(a) + offset');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.freeVariables).toEqual(['factor', 'offset', 'scale']);
    expect(r.reason).toContain("'offset'");
    expect(r.reason).toContain("'scale'");
  });

  it('refuses Node-only and page-only globals but allows the ones both workers have', () => {
    expect(freeOf('() => require("fs")')).toEqual(['require']);
    expect(freeOf('() => process.env.HOME')).toEqual(['process']);
    expect(freeOf('() => window.location + document.title')).toEqual(['document', 'window']);
    expect(freeOf('() => Buffer.from("x")')).toEqual(['Buffer']);
    expect(
      checkSource(
        '() => [Math.max(1), JSON.stringify({}), new Date(), new Uint8Array(1), crypto.getRandomValues, new TextEncoder(), structuredClone({}), globalThis, console, setTimeout, Promise.all([])]',
      ),
    ).toEqual({ ok: true });
  });

  it('allows an undeclared name as the operand of typeof (feature detection never throws)', () => {
    expect(checkSource('() => typeof process !== "undefined" ? 1 : 2')).toEqual({ ok: true });
    expect(freeOf('() => typeof process !== "undefined" ? process.pid : 2')).toEqual(['process']);
  });

  it('understands declarations: var hoisting, block scope, destructuring, defaults, catch params and classes', () => {
    expect(
      checkSource(`function (input) {
        const { a, b: [c, { d = a }], ...rest } = input;
        let [e = c, , ...f] = rest.list;
        for (let i = 0; i < 3; i++) e += i;
        for (const k in rest) f.push(k);
        try { hoisted = 1; } catch ({ message }) { return message; }
        var hoisted;
        class Local { static make() { return new Local(); } }
        label: for (;;) { break label; }
        function later() { return d; }
        return [a, c, d, e, f, hoisted, Local.make(), later()];
      }`),
    ).toEqual({ ok: true });
  });

  it('sees through block scope: a let used outside its block is free', () => {
    expect(freeOf('() => { { let inner = 1; } return inner; }')).toEqual(['inner']);
    expect(freeOf('() => { for (let i = 0; i < 2; i++) {} return i; }')).toEqual(['i']);
    expect(freeOf('() => { try {} catch (err) {} return err; }')).toEqual(['err']);
  });

  it('ignores property names, member names and labels but not computed keys or shorthand values', () => {
    expect(checkSource('(o) => ({ width: o.height, height: o.width })')).toEqual({ ok: true });
    expect(freeOf('(o) => ({ [key]: o })')).toEqual(['key']);
    expect(freeOf('(o) => ({ value })')).toEqual(['value']);
    expect(freeOf('(o) => o[index]')).toEqual(['index']);
  });

  it('finds captures inside nested functions and class bodies', () => {
    expect(freeOf('() => () => function () { return deep }')).toEqual(['deep']);
    expect(freeOf('() => class extends Base { m() { return helper(this) } }')).toEqual(['Base', 'helper']);
  });

  it('refuses native and bound functions, classes, with, and non-functions with a reason', () => {
    const cases: [string, RegExp][] = [
      ['function max() { [native code] }', /native or bound/],
      [Function.prototype.toString.call(((a: number) => a).bind(null)), /native or bound/],
      ['class Worker { run() {} }', /class/],
      ['() => { with (Math) { return max(1) } }', /with/],
      ['42', /not a single function expression/],
      ['x => x) + (y', /not a single function expression/],
      ['x => x)\n;globalThis.pwned = (1', /not a single function expression|does not parse/],
      ['function (', /does not parse/],
      ['', /empty/],
    ];
    for (const [source, reason] of cases) {
      const r = checkSource(source);
      expect(r.ok, source).toBe(false);
      if (!r.ok) expect(r.reason, source).toMatch(reason);
    }
  });

  it('refuses method shorthand on the wire and says how to write it', () => {
    const r = checkSource('double(x) { return x * 2 }');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/method shorthand/);
  });
});

describe('normalizeFunctionSource', () => {
  it('leaves function expressions and arrows untouched', () => {
    expect(normalizeFunctionSource('(a) => a')).toEqual({ ok: true, source: '(a) => a', rewritten: false });
  });

  it('rewrites object method shorthand into an anonymous function expression that checks clean', () => {
    const cases: [string, string][] = [
      ['code(a, b) { return a + b }', 'function (a, b) { return a + b }'],
      ['async code(a) { return a }', 'async function (a) { return a }'],
      ['*gen(n) { yield n }', 'function* (n) { yield n }'],
      ['async *gen(n) { yield n }', 'async function* (n) { yield n }'],
      ["'odd name'(x) { return x }", 'function (x) { return x }'],
    ];
    for (const [text, expected] of cases) {
      const r = normalizeFunctionSource(text);
      expect(r).toEqual({ ok: true, source: expected, rewritten: true });
      if (r.ok) expect(checkSource(r.source)).toEqual({ ok: true });
    }
  });

  it('keeps a method name that the body uses as a free variable (a method does not see its own name)', () => {
    const r = normalizeFunctionSource('loop(n) { return n && loop(n - 1) }');
    expect(r.ok).toBe(true);
    if (r.ok) expect(checkSource(r.source)).toMatchObject({ ok: false, freeVariables: ['loop'] });
  });

  it('refuses methods that use this or super, getters, setters and class-only syntax', () => {
    const cases: [string, RegExp][] = [
      ['run() { return this.state }', /this/],
      ['run() { return super.run() }', /super/],
      ['get size() { return 1 }', /getter/],
      ['set size(v) {}', /setter/],
      ['run() { return this.#secret }', /class method|this/],
      ['static run() { return 1 }', /class method/],
    ];
    for (const [text, reason] of cases) {
      const r = normalizeFunctionSource(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.reason, text).toMatch(reason);
    }
  });
});
