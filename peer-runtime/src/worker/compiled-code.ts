/**
 * The code a worker has compiled, by code id: source compiled once (in the sandbox unless the worker trusts code),
 * module references imported once when the module policy allows their URL. A compile failure or a refusal is kept
 * as an Error, so it is reported per call like any other failure (see `failure`).
 */
import type { CodeRef } from '../dag/types.js';
import type { WireOutcome } from './messages.js';
import { type ModulePolicy, moduleRefusal } from './module-policy.js';
import type { Sandbox, SandboxViolation } from './sandbox.js';

export type Callable = (...args: unknown[]) => unknown;
/** A module still loading is a promise of its export. */
export type Compiled = Callable | Promise<Callable> | Error;

/** A module the policy refuses: carried as an Error so it is reported per call like any compile failure. */
const refusals = new WeakMap<Error, SandboxViolation>();

export class CompiledCode {
  private readonly compiled = new Map<number, Compiled>();

  /** `currentId` names the function whose call is running: the sandbox names it in what it refuses. */
  constructor(
    private readonly sandbox: Sandbox | undefined,
    private readonly modules: ModulePolicy,
    private readonly currentId: () => string,
  ) {}

  get(codeId: number): Compiled | undefined {
    return this.compiled.get(codeId);
  }

  /** The outcome of a call of `functionId` that failed with `error`: a sandbox refusal, or a plain failure. */
  failure(functionId: string, error: unknown): WireOutcome {
    const violation = (error instanceof Error && refusals.get(error)) || this.sandbox?.violationOf(error);
    if (violation) {
      const stack = error instanceof Error ? error.stack : undefined;
      return [0, `function '${functionId}' ${violation.detail}`, stack, violation.attempted];
    }
    return plainFailure(functionId, error);
  }

  define(codeId: number, code: CodeRef): void {
    if (this.compiled.has(codeId)) return;
    if (code.kind === 'source') {
      this.compiled.set(codeId, this.compileSource(code.source));
      return;
    }
    const refused = moduleRefusal(code.module, this.modules);
    if (refused !== undefined) {
      const error = new Error(`module refused: ${refused}`);
      refusals.set(error, {
        attempted: `module '${code.module}'`,
        detail: `tried to load module '${code.module}', which this peer does not allow: ${refused}`,
      });
      this.compiled.set(codeId, error);
      return;
    }
    const loading = loadModuleExport(code.module, code.export).then(
      (fn) => {
        this.compiled.set(codeId, fn);
        return fn;
      },
      (error: unknown) => {
        const failure = toError(error);
        this.compiled.set(codeId, failure);
        throw failure;
      },
    );
    // The failure is reported per call when it is awaited; this keeps it from being an unhandled rejection.
    loading.catch(() => {});
    this.compiled.set(codeId, loading);
  }

  private compileSource(source: string): Callable | Error {
    const { sandbox } = this;
    if (!sandbox) return compileTrusted(source);
    try {
      return sandbox.compile(source, this.currentId);
    } catch (error) {
      if (sandbox.violationOf(error)) return toError(error);
      return new Error(`code does not compile: ${toError(error).message}`);
    }
  }
}

/**
 * Compile a function expression from its source text with the worker's full powers (`trustCode`). `new Function`
 * evaluates in the global scope, so the code sees only globals (which is what "self-contained" promises); the
 * newline keeps a trailing line comment in the source from swallowing the closing parenthesis.
 */
function compileTrusted(source: string): Callable | Error {
  try {
    const value: unknown = new Function(`return (${source}\n);`)();
    if (typeof value !== 'function')
      return new Error(`code did not evaluate to a function (got ${describe(value)})`);
    return value as Callable;
  } catch (error) {
    return new Error(`code does not compile: ${toError(error).message}`);
  }
}

async function loadModuleExport(url: string, name: string): Promise<Callable> {
  const mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`module '${url}' has no function export '${name}'`);
  return fn as Callable;
}

function plainFailure(functionId: string, error: unknown): WireOutcome {
  if (error instanceof Error) return [0, error.message, error.stack];
  return [0, `function '${functionId}' threw a non-Error value: ${describe(error)}`, undefined];
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const type = typeof value;
  if (type === 'string') return `the string ${JSON.stringify((value as string).slice(0, 40))}`;
  if (type === 'object' || type === 'function') return `a ${type}`;
  return `${type} ${String(value)}`;
}
