/**
 * Captures what functions print, inside a worker (run/output.ts says why and how much). The worker's global
 * `console` is replaced, before any function code is compiled, by a console whose methods append to the
 * attempt that is running (`begin` … `end`, called by the executor around each call). In a sandboxed worker the
 * sandbox then hands that console, hardened, to every compartment; in a worker that trusts code, functions and
 * modules see it as the global.
 *
 * Attribution: calls of a batch run one after another (an async function holds the batch until it settles), so
 * whatever is printed between `begin` and `end` belongs to that call. Printing outside any call (a timer a
 * finished function left behind) has no attempt to go to: it is dropped, not written to the worker's stdout.
 *
 * Formatting is a small, platform-neutral subset of Node's util.format (no node:util in browsers): `%s %d %i
 * %f %j %o %O %c %%` in a first string argument, strings as they are, errors as their stack, other values as
 * JSON (cycles and functions named). A value that throws while being formatted (a hostile toJSON) becomes a
 * placeholder: printing never fails the function.
 *
 * Streaming (given an OutputStreamOptions): lines leave the worker while the call runs (output-stream.ts says
 * when), each chunk naming the call's index in its batch and its function id, and `end` then answers nothing:
 * the pool assembles the call's output from its chunks.
 */
import {
  type FunctionOutput,
  OUTPUT_LIMIT_CHARS,
  OUTPUT_LIMIT_LINES,
  type OutputLevel,
  type OutputLine,
} from '../run/output.js';
import { OutputSpill } from './output-spill.js';
import { ChunkPacer, type OutputStreamOptions } from './output-stream.js';

/** Longest text of one formatted value before it is cut (a huge array printed by mistake costs this much). */
const MAX_VALUE_CHARS = 8 * 1024;

export class OutputCapture {
  /** The running call's lines (streaming: those not posted yet), made at its first print. */
  private lines: OutputLine[] | undefined;
  /** The running call printed (or dropped) something. */
  private printed = false;
  private inCall = false;
  /** Streaming: where chunks go, the running call's batch index and function id, and what waits to leave. */
  private readonly stream: OutputStreamOptions | undefined;
  private readonly pacer: ChunkPacer | undefined;
  /** Streaming, with shared memory: lines held back, readable by the pool if this worker dies (output-spill.ts). */
  private readonly spill: OutputSpill | undefined;
  private call = 0;
  private functionId = '';
  private pendingChars = 0;
  private pendingDropped = 0;
  /** A counter or timer was touched since the last reset. */
  private countersUsed = false;
  private used = 0;
  /** Lines the running call kept (streaming: posted or not). */
  private kept = 0;
  private dropped = 0;
  /** The console functions see: plain functions over this capture, safe to harden. */
  readonly console: Console;
  private readonly resetCounters: () => void;

  constructor(stream?: OutputStreamOptions) {
    this.stream = stream;
    if (stream) {
      this.pacer = new ChunkPacer(() => this.flush());
      this.spill = stream.spill ? new OutputSpill(stream.spill) : undefined;
      stream.onExit?.(() => this.flush());
    }
    const made = captureConsole(
      (level, args) => this.write(level, args),
      () => {
        this.countersUsed = true;
      },
    );
    this.console = made.console;
    this.resetCounters = made.reset;
  }

  /**
   * A call starts: what is printed from now on is its output (counters and timers start afresh too). Costs a
   * flag when the previous call printed nothing: no-op functions run by the ten thousand per second.
   */
  begin(call = 0, functionId = ''): void {
    this.inCall = true;
    this.call = call;
    this.functionId = functionId;
    if (!this.printed && !this.countersUsed) return;
    this.resetCounters();
    this.countersUsed = false;
    this.clear();
  }

  /**
   * The call ended: its output, or undefined when it printed nothing. Streaming: what was still gathered
   * leaves now (before the batch answer, on the same port), and the answer is always undefined.
   */
  end(): FunctionOutput | undefined {
    this.inCall = false;
    if (!this.printed) return undefined;
    if (this.stream) {
      this.flush();
      this.clear();
      return undefined;
    }
    const out = { lines: this.lines ?? [], droppedLines: this.dropped };
    this.clear();
    return out;
  }

  /** Streaming: posts what the running call gathered since its last chunk (nothing when nothing waits). */
  flush(): void {
    const stream = this.stream;
    if (!stream || (this.lines === undefined && this.pendingDropped === 0)) return;
    const chunk = {
      handoutOutput: 1 as const,
      call: this.call,
      fn: this.functionId,
      lines: this.lines ?? [],
      droppedLines: this.pendingDropped,
    };
    this.lines = undefined;
    this.pendingChars = 0;
    this.pendingDropped = 0;
    this.spill?.empty();
    this.pacer!.posted();
    stream.post(chunk);
  }

  private clear(): void {
    this.printed = false;
    this.lines = undefined;
    this.used = 0;
    this.kept = 0;
    this.dropped = 0;
    this.pendingChars = 0;
    this.pendingDropped = 0;
    this.spill?.empty();
    this.pacer?.reset();
  }

  private write(level: OutputLevel, args: readonly unknown[]): void {
    if (!this.inCall) return; // printed outside any call: see the header
    this.printed = true;
    if (this.used >= OUTPUT_LIMIT_CHARS || this.kept >= OUTPUT_LIMIT_LINES) {
      this.dropped++;
      if (this.pacer) {
        this.pendingDropped++;
        this.pacer.gathered(this.pendingChars);
        if (this.pendingDropped > 0)
          this.spill?.hold(this.call, this.functionId, undefined, this.pendingDropped);
      }
      return;
    }
    let text = formatArgs(args);
    const room = OUTPUT_LIMIT_CHARS - this.used - 1;
    if (text.length > room) text = `${text.slice(0, Math.max(0, room - 1))}…`;
    this.used += text.length + 1;
    this.kept++;
    const line: OutputLine = { level, text, at: Date.now() };
    if (this.lines) this.lines.push(line);
    else this.lines = [line];
    if (this.pacer) {
      this.pendingChars += text.length + 1;
      this.pacer.gathered(this.pendingChars);
      // Still held back (the pacer did not post it): keep it where a dying worker cannot take it along.
      if (this.lines !== undefined) this.spill?.hold(this.call, this.functionId, line, this.pendingDropped);
    }
  }
}

/**
 * Installs `console` as the worker's global console (configurable in worker_threads and Web Workers). Done once,
 * when the worker starts, before lockdown and before any function or module code.
 */
export function installConsole(target: typeof globalThis, console: Console): void {
  Object.defineProperty(target, 'console', { value: console, writable: true, configurable: true });
}

type Write = (level: OutputLevel, args: readonly unknown[]) => void;

/**
 * A full Console whose printing methods write to `write`. Methods that keep state or draw (time, count, group,
 * table, profile) print what Node would print in one line, or nothing: none of them reaches the host console.
 */
function captureConsole(write: Write, touched: () => void): { console: Console; reset: () => void } {
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  const at =
    (level: OutputLevel) =>
    (...args: unknown[]): void =>
      write(level, args);
  const label = (value: unknown): string => (value === undefined ? 'default' : String(value));
  const console = {
    log: at('log'),
    info: at('info'),
    debug: at('debug'),
    warn: at('warn'),
    error: at('error'),
    trace: (...args: unknown[]) => write('debug', ['Trace:', ...args]),
    dir: (value: unknown) => write('log', [value]),
    dirxml: at('log'),
    table: (value: unknown) => write('log', [value]),
    assert: (condition: unknown, ...args: unknown[]) => {
      if (!condition) write('error', ['Assertion failed', ...args]);
    },
    count: (name?: unknown) => {
      touched();
      const key = label(name);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      write('log', [`${key}: ${n}`]);
    },
    countReset: (name?: unknown) => {
      counts.delete(label(name));
    },
    time: (name?: unknown) => {
      touched();
      timers.set(label(name), performance.now());
    },
    timeLog: (name?: unknown, ...args: unknown[]) => {
      const start = timers.get(label(name));
      if (start !== undefined) write('log', [`${label(name)}: ${elapsed(start)}`, ...args]);
    },
    timeEnd: (name?: unknown) => {
      const key = label(name);
      const start = timers.get(key);
      timers.delete(key);
      if (start !== undefined) write('log', [`${key}: ${elapsed(start)}`]);
    },
    group: at('log'),
    groupCollapsed: at('log'),
    groupEnd: () => {},
    clear: () => {},
    profile: () => {},
    profileEnd: () => {},
    timeStamp: () => {},
  };
  const reset = (): void => {
    // Per call, so that one function's counters and timers tell the next nothing.
    counts.clear();
    timers.clear();
  };
  return { console: console as unknown as Console, reset };
}

function elapsed(start: number): string {
  return `${(performance.now() - start).toFixed(3)}ms`;
}

/** One console call's arguments as one line of text (see the header for the rules). */
export function formatArgs(args: readonly unknown[]): string {
  if (args.length === 0) return '';
  const first = args[0];
  let rest = 1;
  let head: string;
  if (typeof first === 'string' && first.includes('%') && args.length > 1) {
    head = first.replace(/%([sdifjoOc%])/g, (match, spec: string) => {
      if (spec === '%') return '%';
      if (rest >= args.length) return match;
      const value = args[rest++];
      switch (spec) {
        case 's':
          return typeof value === 'string' ? value : formatValue(value);
        case 'd':
        case 'i': {
          if (typeof value === 'bigint') return `${value}n`;
          const n = Number(value);
          return String(spec === 'i' ? Math.trunc(n) : n);
        }
        case 'f':
          return String(Number.parseFloat(String(value)));
        case 'c':
          return '';
        default:
          return formatValue(value);
      }
    });
  } else {
    head = typeof first === 'string' ? first : formatValue(first);
  }
  const parts = [head];
  for (let i = rest; i < args.length; i++) {
    const value = args[i];
    parts.push(typeof value === 'string' ? value : formatValue(value));
  }
  return parts.join(' ');
}

/** A value as text: never throws, never longer than MAX_VALUE_CHARS (+1 for the ellipsis). */
export function formatValue(value: unknown): string {
  let text: string;
  try {
    text = describeValue(value);
  } catch {
    text = '[value that cannot be printed]';
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function: ${value.name || '(anonymous)'}]`;
  }
  if (value === null) return 'null';
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  const seen = new WeakSet<object>();
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'undefined') return '[undefined]';
    if (typeof v === 'function') return `[Function: ${(v as { name?: string }).name || '(anonymous)'}]`;
    if (typeof v === 'symbol') return v.toString();
    if (v instanceof Map) return { '[Map]': [...v.entries()] };
    if (v instanceof Set) return { '[Set]': [...v.values()] };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
  return json ?? String(value);
}
