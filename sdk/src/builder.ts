/**
 * The DAG builder: `dag().fn({ id, args, code, ... }).fn(...).build()`.
 *
 * `code` may be a real JS function: it is captured as source text with `Function.prototype.toString`, so it must
 * be self-contained (no captured variables — the error names them), not native, not bound, and not a method that
 * depends on `this`. Method shorthand inside the options (`code(a) { return a + 1 }`) is accepted and rewritten to
 * a function expression. Alternatively `code` is a source string, or a module reference `{ module, export }`.
 *
 * Problems are collected rather than thrown one by one: `build()` throws one DagValidationError listing every
 * problem of every function, each naming its function id and field.
 *
 * Typing: `args` may only name ids declared by earlier `.fn()` calls (a DAG written top to bottom is acyclic by
 * construction, and a typo is a compile error). Ids typed as plain `string` (generated in a loop) accept any
 * string. The builder accumulates in place: `.fn()` returns the same builder with a wider type.
 */
import {
  type ArgRef,
  type CodeRef,
  type DagIssue,
  type DagJSON,
  DagValidationError,
  type FunctionSpec,
  hashFunctions,
  normalizeFunctionSource,
  topologicalOrder,
  validateDag,
} from '@handout/peer-runtime/dag';

/** Any function whose text can travel; its parameters receive the input values, then the extraArgs. */
// biome-ignore lint/complexity/noBannedTypes: any callable is accepted here, its source is what matters
export type CodeFunction = Function;

/** What `code` may be in `.fn()`. */
export type FunctionCode =
  | CodeFunction
  | string
  | { readonly module: string; readonly export: string }
  | CodeRef;

/** An input reference restricted to known ids. */
export type KnownArgRef<Known extends string> = Known | readonly [Known, number];

/**
 * The options of one `.fn()` call: a FunctionSpec whose code may be a live function and whose ids are checked
 * against the functions already added (the other fields, and their docs, are FunctionSpec's).
 */
export interface FnOptions<Id extends string, Known extends string = string>
  extends Omit<FunctionSpec, 'id' | 'args' | 'code'> {
  /** Unique in the DAG. */
  readonly id: Id;
  /** Inputs, in the order their values are passed: an id, or `[id, index]` for one output of a multi-output function. Default []. */
  readonly args?: readonly KnownArgRef<Known>[];
  readonly code: FunctionCode;
}

export interface DagBuilder<Known extends string = never> {
  /** Add a function. Problems are reported together by `build()`. */
  fn<Id extends string>(options: FnOptions<Id, Known>): DagBuilder<Known | Id>;
  /** Validate and freeze; throws DagValidationError listing every problem. */
  build(): Dag;
  /** `build().toJSON()`. */
  toJSON(): DagJSON;
  /** Number of functions added so far. */
  readonly size: number;
}

/** Start a DAG. */
export function dag(): DagBuilder<never> {
  return new Builder() as DagBuilder<never>;
}

class Builder implements DagBuilder<string> {
  readonly #functions: FunctionSpec[] = [];
  /** Problems found while capturing code (bound, native, class...), keyed by function position. */
  readonly #codeIssues = new Map<number, DagIssue>();

  get size(): number {
    return this.#functions.length;
  }

  fn<Id extends string>(options: FnOptions<Id, string>): DagBuilder<string> {
    const index = this.#functions.length;
    if (typeof options !== 'object' || options === null) {
      // Keep the position so validation reports `functions[i]` for it.
      this.#functions.push(options as unknown as FunctionSpec);
      return this;
    }
    const captured = captureCode(
      options.code,
      typeof options.id === 'string' ? options.id : `functions[${index}]`,
    );
    if (captured.issue) this.#codeIssues.set(index, { ...captured.issue, functionId: options.id });
    this.#functions.push(toSpec(options, captured.code));
    return this;
  }

  build(): Dag {
    const issues = validateDag(this.#functions);
    if (this.#codeIssues.size > 0) {
      // Our explanation of a bad function value (e.g. "bound") beats the validator's view of its text.
      const explained = new Set([...this.#codeIssues.values()].map((i) => i.functionId));
      const rest = issues.filter((i) => !(i.code === 'code' && explained.has(i.functionId)));
      throw new DagValidationError([...this.#codeIssues.values(), ...rest]);
    }
    if (issues.length > 0) throw new DagValidationError(issues);
    return Dag.trusted(this.#functions);
  }

  toJSON(): DagJSON {
    return this.build().toJSON();
  }
}

/**
 * Copy the options into a plain spec, leaving out unset fields (so JSON stays small and round-trips). Keys the
 * spec does not have are copied too, so that validation refuses them by name with a "did you mean"
 * (`timeout` → `timeoutMs`): dropping them here would let a typo pass as a setting silently ignored.
 */
function toSpec(options: FnOptions<string, string>, code: CodeRef): FunctionSpec {
  const spec: Record<string, unknown> = { id: options.id, args: options.args ?? [], code };
  for (const [key, value] of Object.entries(options)) {
    if (key === 'id' || key === 'args' || key === 'code' || value === undefined) continue;
    // An own `__proto__` key (JSON.parse makes one) stays a key, to be named as unknown, not a new prototype.
    Object.defineProperty(spec, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return spec as unknown as FunctionSpec;
}

interface CapturedCode {
  readonly code: CodeRef;
  readonly issue?: DagIssue;
}

function codeIssue(who: string, reason: string): DagIssue {
  return { code: 'code', field: 'code', message: `${who}: its code cannot travel: ${reason}` };
}

/** Turn whatever `code` was given into the travelling form, with a precise complaint for function values. */
function captureCode(code: FunctionCode, id: string): CapturedCode {
  const who = `function '${id}'`;
  if (typeof code === 'function') {
    const text = Function.prototype.toString.call(code);
    if (text.includes('[native code]')) {
      const reason = code.name.startsWith('bound ')
        ? 'it is a bound function (made with .bind()): its bound `this` and arguments cannot travel; pass them as args or extraArgs'
        : `it is a native function${code.name ? ` ('${code.name}')` : ''} with no source to send; wrap it: (x) => ${code.name || 'fn'}(x)`;
      return { code: { kind: 'source', source: text }, issue: codeIssue(who, reason) };
    }
    if (/^class\b/.test(text)) {
      return {
        code: { kind: 'source', source: text },
        issue: codeIssue(who, 'it is a class, not a function: wrap the work in a function'),
      };
    }
    return fromText(text, who);
  }
  if (typeof code === 'string') return fromText(code, who);
  if (typeof code === 'object' && code !== null) {
    if ('kind' in code) return { code: code as CodeRef };
    if ('module' in code && 'export' in code) {
      return { code: { kind: 'module', module: code.module, export: code.export } };
    }
  }
  // Let validation describe the bad shape in its usual words.
  return { code: code as unknown as CodeRef };
}

function fromText(text: string, who: string): CapturedCode {
  const normalized = normalizeFunctionSource(text);
  if (!normalized.ok)
    return { code: { kind: 'source', source: text }, issue: codeIssue(who, normalized.reason) };
  return { code: { kind: 'source', source: normalized.source } };
}

/** Freeze arrays and plain objects deeply (typed arrays cannot be frozen and are left as they are). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/** A copy of a spec that the caller cannot change behind our back. */
function copySpec(spec: FunctionSpec): FunctionSpec {
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(spec)) {
    if (v === undefined) continue;
    copy[key] =
      key === 'extraArgs' || key === 'cost' || key === 'node' || key === 'verify' ? structuredClone(v) : v;
  }
  copy.args = (spec.args ?? []).map((ref: ArgRef) => (typeof ref === 'string' ? ref : [ref[0], ref[1]]));
  copy.code = { ...spec.code };
  return deepFreeze(copy) as unknown as FunctionSpec;
}

/**
 * A validated, immutable DAG. Obtain one from `dag()...build()`, `Dag.fromJSON()`, `Dag.fromFunctions()` or an
 * importer; it is always valid, so runs and meshes can take it without re-checking.
 */
export class Dag {
  readonly functions: readonly FunctionSpec[];
  readonly #byId: Map<string, FunctionSpec>;
  #hashes: ReadonlyMap<string, string> | undefined;

  private constructor(functions: readonly FunctionSpec[]) {
    this.functions = Object.freeze(functions.map(copySpec));
    this.#byId = new Map(this.functions.map((f) => [f.id, f]));
  }

  /** @internal For specs already validated (the builder). */
  static trusted(functions: readonly FunctionSpec[]): Dag {
    return new Dag(functions);
  }

  /** Validate specs (e.g. from an importer or another program) into a Dag; throws DagValidationError. */
  static fromFunctions(functions: readonly FunctionSpec[]): Dag {
    const issues = validateDag(functions);
    if (issues.length > 0) throw new DagValidationError(issues);
    return new Dag(functions);
  }

  /** Parse and validate Handout JSON (text or value), or a plain array of specs. Throws DagValidationError. */
  static fromJSON(json: DagJSON | readonly FunctionSpec[] | string): Dag {
    let value: unknown = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (error) {
        throw new DagValidationError([
          { code: 'shape', message: `the DAG is not valid JSON: ${(error as Error).message}` },
        ]);
      }
    }
    const issues = validateDag(value as DagJSON);
    if (issues.length > 0) throw new DagValidationError(issues);
    return new Dag(Array.isArray(value) ? value : (value as DagJSON).functions);
  }

  get size(): number {
    return this.functions.length;
  }

  get(id: string): FunctionSpec | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Always [] for a Dag (it is validated on creation); kept for symmetry with validateDag. */
  validate(): DagIssue[] {
    return validateDag(this.functions);
  }

  /** Content hash of every function (see peer-runtime's hashFunctions); computed once. */
  hashes(): ReadonlyMap<string, string> {
    this.#hashes ??= hashFunctions(this.functions);
    return this.#hashes;
  }

  /** Ids with every function after its inputs. */
  topologicalOrder(): string[] {
    return topologicalOrder(this.functions);
  }

  /** The wire and file form; `JSON.stringify(dag)` uses it, and `Dag.fromJSON` reads it back. */
  toJSON(): DagJSON {
    return { format: 'handout-dag', version: 1, functions: this.functions };
  }
}
