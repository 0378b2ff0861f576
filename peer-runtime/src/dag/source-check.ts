/**
 * Can this source text travel? Code goes to other machines as the text of a self-contained function expression,
 * compiled in a worker as `(\n<source>\n)` (the newlines keep a trailing `// comment` from swallowing the
 * closing parenthesis). This module checks that promise with a real parser; compiling is the worker's job.
 *
 * Accepted: function expressions (`function f(a) {}`, async, generator) and arrows (`(a, b) => a + b`).
 * Rejected, with a reason: native and bound functions (their text is `function () { [native code] }`),
 * classes, method shorthand (`name(a) { ... }` — what `toString()` gives for object and class methods; the SDK
 * rewrites plain object methods into function expressions with {@link normalizeFunctionSource} before they get
 * here, so the wire form is always a function expression), getters/setters, `with`, and any free identifier that
 * is not in {@link PORTABLE_GLOBALS} (the error names every such variable).
 */
import { type AnyNode, type Expression, type Function as FunctionNode, parse } from 'acorn';
import { findFreeVariables, usesThis } from './free-variables.js';
import { PORTABLE_GLOBALS } from './portable-globals.js';

export type SourceCheck = { ok: true } | { ok: false; reason: string; freeVariables?: string[] };

const PARSE_OPTIONS = { ecmaVersion: 'latest', sourceType: 'script' } as const;

/** Results by source text: a large DAG usually repeats a handful of sources, and parsing is the costly part. */
const cache = new Map<string, SourceCheck>();
const CACHE_LIMIT = 4096;

/** Check that `source` is a self-contained function expression that any Handout worker can compile and run. */
export function checkSource(source: string): SourceCheck {
  if (typeof source !== 'string') return { ok: false, reason: 'the source is not a string' };
  const cached = cache.get(source);
  if (cached) return cached;
  const result = checkUncached(source);
  // A plain bounded cache: when full, start over rather than track recency (sources repeat in bursts).
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, result);
  return result;
}

function checkUncached(source: string): SourceCheck {
  if (source.trim() === '') return { ok: false, reason: 'the source is empty' };
  if (source.includes('[native code]')) {
    return {
      ok: false,
      reason: 'it is a native or bound function (its text is `[native code]`): pass a plain function instead',
    };
  }
  if (/^\s*class\b/.test(source)) {
    return { ok: false, reason: 'it is a class, not a function: wrap the work in a function' };
  }
  const parsed = parseFunctionExpression(source);
  if (!parsed.ok) {
    if (parsed.syntaxError && (parseMethod(source) || isClassMember(source))) {
      return {
        ok: false,
        reason:
          'it is method shorthand (`name(...) { ... }`), not a function expression: write `function (...) { ... }` or an arrow',
      };
    }
    return { ok: false, reason: parsed.reason };
  }
  return checkScope(parsed.node);
}

function checkScope(fn: AnyNode): SourceCheck {
  const report = findFreeVariables(fn);
  if (report.hasWith)
    return { ok: false, reason: 'it uses a `with` statement, whose scope cannot be checked' };
  const notPortable = report.free.filter((name) => !PORTABLE_GLOBALS.has(name));
  if (notPortable.length > 0) {
    const list = notPortable.map((n) => `'${n}'`).join(', ');
    return {
      ok: false,
      reason: `it uses ${notPortable.length === 1 ? 'a variable' : 'variables'} from outside the function (${list}) that will not exist where it runs: pass values through args or extraArgs, or import them inside the function`,
      freeVariables: notPortable,
    };
  }
  return { ok: true };
}

type ParsedFunction =
  | { ok: true; node: FunctionNode & Expression }
  | { ok: false; reason: string; syntaxError: boolean };

/** Parse `source` as exactly one function or arrow expression. */
function parseFunctionExpression(source: string): ParsedFunction {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(`(\n${source}\n)`, PARSE_OPTIONS);
  } catch (error) {
    return {
      ok: false,
      reason: describeSyntaxError(error, 1, 'it does not parse as a function expression'),
      syntaxError: true,
    };
  }
  const stmt = program.body.length === 1 ? program.body[0] : undefined;
  const expr = stmt?.type === 'ExpressionStatement' ? stmt.expression : undefined;
  if (expr?.type === 'FunctionExpression' || expr?.type === 'ArrowFunctionExpression')
    return { ok: true, node: expr };
  return {
    ok: false,
    reason: `it is not a single function expression (found ${expr ? `a ${expr.type}` : 'several statements'})`,
    syntaxError: false,
  };
}

/** Acorn reports `(line:column)` in the wrapped text; translate to the user's text. */
function describeSyntaxError(error: unknown, linesAdded: number, lead: string): string {
  if (!(error instanceof SyntaxError)) return `${lead}: ${String(error)}`;
  const loc = (error as SyntaxError & { loc?: { line: number; column: number } }).loc;
  const message = error.message.replace(/\s*\(\d+:\d+\)$/, '');
  if (!loc) return `${lead}: ${message}`;
  return `${lead}: ${message} at line ${Math.max(1, loc.line - linesAdded)}, column ${loc.column + 1}`;
}

interface ParsedMethod {
  readonly node: FunctionNode & Expression;
  readonly kind: 'init' | 'get' | 'set';
  /** Offset of the method's text inside the wrapped object literal. */
  readonly offset: number;
}

const METHOD_PREFIX = '({\n';

/** Parse `source` as the text of one object/class method (`name(a) {}`, `async *name() {}`, `get x() {}`). */
function parseMethod(source: string): ParsedMethod | undefined {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(`${METHOD_PREFIX}${source}\n})`, PARSE_OPTIONS);
  } catch {
    return undefined;
  }
  const stmt = program.body.length === 1 ? program.body[0] : undefined;
  const obj = stmt?.type === 'ExpressionStatement' ? stmt.expression : undefined;
  if (obj?.type !== 'ObjectExpression' || obj.properties.length !== 1) return undefined;
  const prop = obj.properties[0];
  if (prop?.type !== 'Property' || !(prop.method || prop.kind !== 'init')) return undefined;
  if (prop.value.type !== 'FunctionExpression') return undefined;
  return { node: prop.value, kind: prop.kind, offset: METHOD_PREFIX.length };
}

/**
 * Does `source` look like a class member (`static m() {}`, `#m() {}`, a method using `#private` names)? Only
 * used to pick the right explanation, so a textual check suffices (acorn refuses undeclared `#names` outside
 * their class, so parsing cannot tell us).
 */
function isClassMember(source: string): boolean {
  return (
    /^\s*(static\s+)?(async\s+)?(\*\s*)?(get\s+|set\s+)?#?[\p{ID_Start}$_][\p{ID_Continue}$]*\s*\(/u.test(
      source,
    ) && !/^\s*(async\s+)?function\b/.test(source)
  );
}

export type NormalizedSource =
  | { ok: true; source: string; rewritten: boolean }
  | { ok: false; reason: string };

/**
 * Turn the text `Function.prototype.toString` gave into a travelling function expression. Function expressions
 * and arrows pass through unchanged. Method shorthand (`code(a, b) { return a + b }`, the text of a method
 * written in an object literal such as the options of `dag().fn({...})`) is rewritten to an anonymous
 * `function (a, b) { return a + b }` — anonymous so that a name inside the body keeps meaning what it meant
 * (a method's name is not in scope in its own body). A method that uses `this` or `super`, or a getter/setter,
 * belongs to its object or class and is refused; so are methods using `#private` names.
 *
 * The result is not checked for free variables: run {@link checkSource} on it.
 */
export function normalizeFunctionSource(text: string): NormalizedSource {
  if (typeof text !== 'string') return { ok: false, reason: 'the source is not a string' };
  if (parseFunctionExpression(text).ok) return { ok: true, source: text, rewritten: false };
  const method = parseMethod(text);
  if (!method) {
    if (isClassMember(text)) {
      return {
        ok: false,
        reason: 'it is a class method (it uses class-only syntax such as `static` or `#private`)',
      };
    }
    return { ok: true, source: text, rewritten: false }; // checkSource will explain what is wrong
  }
  if (method.kind !== 'init') {
    return { ok: false, reason: `it is a ${method.kind}ter, which belongs to its object or class` };
  }
  if (usesThis(method.node)) {
    return {
      ok: false,
      reason:
        'it is a method that uses `this` or `super`, which would not refer to its object or class instance where it runs',
    };
  }
  const fn = method.node;
  // For methods acorn starts the function node at the parameter list, so the slice is `(params) { body }`.
  const rest = text.slice(fn.start - method.offset, fn.end - method.offset);
  const rewritten = `${fn.async ? 'async ' : ''}function${fn.generator ? '*' : ''} ${rest}`;
  const reparsed = parseFunctionExpression(rewritten);
  if (!reparsed.ok) {
    return {
      ok: false,
      reason: `it is a method that cannot be lifted out of its class (${reparsed.reason})`,
    };
  }
  return { ok: true, source: rewritten, rewritten: true };
}
