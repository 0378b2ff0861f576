/**
 * The sandbox that function code runs in, inside every worker (worker_threads on Node, Web Workers in
 * browsers), unless the pool was made with `trustCode: true`.
 *
 * Mechanism: SES (`lockdown()` once per worker, then one `Compartment` per distinct code). `lockdown()` freezes
 * every shared intrinsic (Array.prototype, Object.prototype, ...) so one function cannot tamper with the next;
 * a compartment gives the code its own global object, which holds exactly the names of PORTABLE_GLOBALS (the
 * list the free-variable check allows, dag/portable-globals.ts) and, for every other name the host has
 * (`process`, `fetch`, `indexedDB`, `self`, ...) or a Node module has in scope (`require`, `module`, ...), a
 * getter that fails the function with a SandboxError naming what it tried. SES also refuses `import(` and
 * direct `eval(` in source text, and tames `Function.prototype.constructor` so that
 * `globalThis.constructor.constructor('return process')()` cannot reach the worker's own globals.
 *
 * Chosen after measuring, on this repository's 2-core machine (Node 20.20, worker_threads, /tmp/sandbox-lab):
 * | mechanism                 | stops the issue's escapes | cold start per worker      | no-op call | 1e5-iteration Math loop |
 * | ------------------------- | ------------------------- | -------------------------- | ---------- | ----------------------- |
 * | none (`new Function`)     | no                        | —                          | 4–7 ns     | 0.4–0.6 ms              |
 * | SES + Compartment         | yes (all, see tests)      | 40 ms import + 14 ms lockdown, 0.07 ms per compartment | 2–6 ns | 0.5–0.6 ms (with the prelude below); 40–60 ms without |
 * | node:vm context           | no: `console.log.constructor('return process')()` and `globalThis.constructor.constructor` reach the host | 0.9 ms per context | 31 ns | — |
 * | QuickJS (quickjs-emscripten 0.32, WASM) | yes             | 23 ms WASM + 11 ms context | 7.8 µs (marshalling) | 25.7 ms (50× slower) |
 * | isolated-vm               | (not measured)            | —                          | —          | —                       |
 * isolated-vm lost before measuring: it is Node-only (no browser half), a native addon built with node-gyp, and
 * its releases that build need Node 22 (6.x) or 24 (7.x) while the project targets Node 20. QuickJS is the
 * strongest wall but costs microseconds per call and 50× on compute, which would cost the local engine its lead
 * over Piscina. node:vm is documented by Node as not a security mechanism, and the escapes above confirm it.
 * Node's permission model (`--experimental-permission`) applies to a whole process, not a worker_thread, so it
 * would need a child process per peer: a possible second wall, not built.
 *
 * Why the prelude: SES resolves a compartment's free variables through a `with` scope proxy, so every read of
 * `Math` in a hot loop is a proxy trap (measured 100× slower). The code is therefore compiled inside a function
 * whose `const { Math, JSON, ... } = globalThis` binds every portable global as a local, and only the names
 * outside the list (the escape attempts) reach the proxy.
 */
import type {} from 'ses';
import { PORTABLE_GLOBALS } from '../dag/portable-globals.js';

/** What a function tried that the sandbox refuses: the thing's name, as in "tried to use 'process'". */
export interface SandboxViolation {
  readonly attempted: string;
  /** The rest of the message after the function id, e.g. "tried to use 'process', which the sandbox does not provide". */
  readonly detail: string;
}

/**
 * Names denied whether or not this host has them: a Node module's scope (CommonJS or tsx) without being globals,
 * and the powers other hosts have (`indexedDB` is a browser's, `Buffer` Node's), so that code tried on one host
 * meets the same SandboxError on the other instead of a vague `undefined`.
 */
const ALWAYS_DENIED = [
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'process',
  'Buffer',
  'global',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
  'WebTransport',
  'RTCPeerConnection',
  'indexedDB',
  'caches',
  'localStorage',
  'sessionStorage',
  'cookieStore',
  'importScripts',
  'postMessage',
  'close',
  'self',
  'window',
  'document',
  'navigator',
  'location',
  'Worker',
  'SharedWorker',
  'BroadcastChannel',
];

/** Portable globals that are constants (or the global itself): never worth binding in the prelude. */
const CONSTANT_GLOBALS = new Set(['globalThis', 'undefined', 'NaN', 'Infinity']);

/**
 * Hosts' objects that are handed to functions, hardened (deeply frozen) so that one function cannot change what
 * the next one sees; instances made from them are reached through their frozen prototypes. Objects that hosts
 * return from getters (crypto.subtle) or factories (stream readers) are hardened by sample.
 */
function hardenHostSamples(): void {
  const g = globalThis as Record<string, unknown> & typeof globalThis;
  const samples: (() => unknown)[] = [
    () => g.crypto?.subtle,
    () => new ReadableStream().getReader(),
    () => new WritableStream().getWriter(),
  ];
  for (const sample of samples) {
    try {
      // The object itself (crypto.subtle is one shared instance) and, through it, its prototype.
      harden(sample());
    } catch {
      // A host without this API (or with a different shape) has nothing here to freeze: the name is not exposed.
    }
  }
}

export interface Sandbox {
  /**
   * Compile a function expression in a fresh compartment. `functionId` is read when the code touches something
   * the sandbox refuses, so the error names the function currently running this code.
   */
  compile(source: string, functionId: () => string): (...args: unknown[]) => unknown;
  /** The violation an error stands for, if it is one (thrown by a refusing getter, or SES's own refusals). */
  violationOf(error: unknown): SandboxViolation | undefined;
}

let lockedDown = false;

/**
 * Lock this worker down (once) and return a sandbox. Call before any function code runs, after the worker's own
 * modules (comlink, the executor) are loaded: they keep working under frozen intrinsics.
 */
export function createSandbox(): Sandbox {
  if (!lockedDown) {
    lockdown({
      // Keep stacks on errors: a function's error record carries its stack.
      errorTaming: 'unsafe',
      // Keep the worker's console as the host made it (SES's wrapper only adds causal logging).
      consoleTaming: 'unsafe',
      overrideTaming: 'moderate',
      stackFiltering: 'verbose',
      // SES removes intrinsics it does not know (newer engines' additions, e.g. Chromium's Iterator helpers
      // `join`/`includes`) and says so on the console at every worker start. Removing them is the safe
      // behaviour we want; the lines are noise on every contributor's console, so they are not written.
      reporting: 'none',
    });
    hardenHostSamples();
    lockedDown = true;
  }
  return new SesSandbox();
}

class SesSandbox implements Sandbox {
  private readonly violations = new WeakMap<object, SandboxViolation>();
  /** Host values of the portable globals that a fresh compartment lacks, hardened once. */
  private readonly endowments: Record<string, unknown>;
  /** Every name the host has that is not exposed: a refusing getter each. */
  private readonly denied: string[];

  constructor() {
    const probe = new Compartment({ __options__: true });
    const probeGlobal = probe.globalThis as Record<string, unknown>;
    this.endowments = {};
    for (const name of PORTABLE_GLOBALS) {
      if (name === 'globalThis') continue;
      // Date and Math: a compartment's own are tamed (Date.now and Math.random throw); functions may be
      // non-deterministic (`deterministic: false`), so they get the worker's, which lockdown has frozen.
      if (name in probeGlobal && name !== 'Date' && name !== 'Math') continue;
      if (!(name in globalThis)) continue;
      this.endowments[name] = hostValue(name);
    }
    // `eval` and `Function` are refused too (a compartment's own are confined, but the free-variable check
    // refuses them, and code that builds code escapes content hashing). Names every object inherits
    // (`constructor`, `toString`) stay what they are.
    const exposed = new Set([...PORTABLE_GLOBALS, ...Object.getOwnPropertyNames(Object.prototype)]);
    const hostNames = new Set<string>(ALWAYS_DENIED);
    for (let o: object | null = globalThis; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) hostNames.add(key);
    }
    for (const key of Object.getOwnPropertyNames(probeGlobal)) hostNames.add(key);
    // `__proto__` and SES's own `__options__`-style names are not globals a function could mean.
    this.denied = [...hostNames].filter((n) => !exposed.has(n) && !/^__[a-z]+__$/i.test(n));
  }

  compile(source: string, functionId: () => string): (...args: unknown[]) => unknown {
    const compartment = new Compartment({ globals: this.endowments, __options__: true });
    const global = compartment.globalThis as Record<string, unknown>;
    for (const name of this.denied) this.deny(global, name, functionId);
    const names = [...PORTABLE_GLOBALS].filter((n) => !CONSTANT_GLOBALS.has(n) && n in global);
    const prelude = `const { ${names.join(', ')} } = globalThis;`;
    const value: unknown = compartment.evaluate(`(() => { ${prelude} return (${source}\n); })()`);
    if (typeof value !== 'function') {
      throw new TypeError(`code did not evaluate to a function (got ${typeof value})`);
    }
    return value as (...args: unknown[]) => unknown;
  }

  violationOf(error: unknown): SandboxViolation | undefined {
    if (error === null || typeof error !== 'object') return undefined;
    const marked = this.violations.get(error);
    if (marked) return marked;
    return sesRefusal(error);
  }

  private deny(global: Record<string, unknown>, name: string, functionId: () => string): void {
    const refuse = (): never => {
      const detail = `tried to use '${name}', which the sandbox does not provide`;
      const error = new Error(`function '${functionId()}' ${detail}`);
      this.violations.set(error, { attempted: name, detail });
      throw error;
    };
    try {
      Object.defineProperty(global, name, { get: refuse, set: refuse, configurable: false });
    } catch {
      // SES keeps a few of its own globals non-configurable; those are confined already.
    }
  }
}

/**
 * The host's value for a portable global, made safe to share: namespaces and constructors hardened; timers
 * wrapped so that a string is never evaluated (browsers evaluate `setTimeout('code')` in the worker's global
 * scope), the callback never gets the host as `this`, and no host timer object (Node's Timeout, whose prototype
 * is mutable) is handed out.
 */
function hostValue(name: string): unknown {
  const g = globalThis as unknown as Record<string, unknown>;
  if (name === 'setTimeout') {
    const real = globalThis.setTimeout;
    return harden((callback: unknown, ms?: number, ...args: unknown[]): number => {
      if (typeof callback !== 'function') throw new TypeError('setTimeout needs a function');
      // Called without a receiver: hosts call a timer callback with `this` set to the worker's own global
      // (browsers) or the Timeout object (Node), either of which would hand the function the host.
      const run = callback as (...a: unknown[]) => void;
      return Number(real(() => run(...args), ms));
    });
  }
  if (name === 'clearTimeout') {
    const real = globalThis.clearTimeout;
    return harden((id: unknown): void => real(id as number));
  }
  return harden(g[name]);
}

/**
 * SES's own refusals, recognised by the codes and texts SES and V8 put in their messages (the only signal they
 * give): dynamic import and direct eval found in the source, HTML-like comments, the tamed Function constructor
 * reached through `.constructor`, and writes to frozen objects (the shared built-ins).
 */
function sesRefusal(error: object): SandboxViolation | undefined {
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  if (message.includes('SES_IMPORT_REJECTED')) {
    return { attempted: 'import()', detail: "tried to use 'import()', which the sandbox does not provide" };
  }
  if (message.includes('SES_EVAL_REJECTED')) {
    return { attempted: 'eval', detail: "tried to use 'eval', which the sandbox does not provide" };
  }
  if (message.includes('SES_HTML_COMMENT_REJECTED')) {
    return {
      attempted: 'an HTML-like comment',
      detail: "contains '<!--' or '-->', which the sandbox refuses (SES forbids HTML-like comments in code)",
    };
  }
  if (/is not a valid constructor/.test(message) && /Function/.test(message)) {
    return {
      attempted: 'Function constructor',
      detail:
        "tried to use the 'Function' constructor (through '.constructor'), which the sandbox does not provide",
    };
  }
  const frozen =
    /Cannot (?:add|assign to read only|define|redefine|delete) property '?([^',]+?)'?(?:,| of|$)/.exec(
      message,
    );
  if (frozen && error instanceof TypeError) {
    const property = frozen[1]!;
    return {
      attempted: `property '${property}' of a frozen object`,
      detail: `tried to change property '${property}' of a frozen object: the sandbox freezes the built-ins every function shares (Array.prototype, Object.prototype, ...)`,
    };
  }
  return undefined;
}
