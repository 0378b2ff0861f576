/**
 * One `Logger` for every part of Handout (signaling server, peers, coordinators, agents, the CLI): levels and
 * structured fields. Parts receive a Logger as a component and never build their own, so a process decides once
 * where lines go (a console sink here; the CLI may plug in another) and tests can hand in a recording one.
 *
 * Field names are shared so that lines from different parts can be joined: `mesh`, `peer` (the peer the line is
 * about), `run`, `function` (a function id), `reason`; anything else a part finds useful may be added.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Levels from the most to the least verbose; a logger at level L writes L and everything after it. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogFields {
  readonly mesh?: string;
  readonly peer?: string;
  readonly run?: string;
  readonly function?: string;
  readonly reason?: string;
  readonly [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes (e.g. the peer id of the process). */
  child(fields: LogFields): Logger;
}

/** One written line, as sinks receive it. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly time: number;
  readonly message: string;
  readonly fields: LogFields;
}

export type LogSink = (record: LogRecord) => void;

/** A logger that writes records at `level` and above to `sink`, with `bindings` on every record. */
export function createLogger(sink: LogSink, level: LogLevel = 'info', bindings: LogFields = {}): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const write =
    (at: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LOG_LEVELS.indexOf(at) < min) return;
      try {
        sink({
          level: at,
          time: Date.now(),
          message,
          fields: fields ? { ...bindings, ...fields } : bindings,
        });
      } catch {
        // A broken sink (a closed stream) must not take down the part that logs: the line is lost, nothing else.
      }
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => createLogger(sink, level, { ...bindings, ...fields }),
  };
}

/** Writes nothing: the default wherever no logger is given. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** A value made safe for JSON.stringify: errors become their message (and name), bigints strings. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One JSON object per line: `{ "level", "time" (ISO), "msg", ...fields }`, the shape log collectors read. */
export function formatJsonLine(record: LogRecord): string {
  const out: Record<string, unknown> = {
    level: record.level,
    time: new Date(record.time).toISOString(),
    msg: record.message,
  };
  for (const [k, v] of Object.entries(record.fields)) if (v !== undefined) out[k] = plain(v);
  return JSON.stringify(out);
}

/** `12:00:00.000 WARN  message  peer=p1 run=r1`, for people reading a terminal. */
export function formatPrettyLine(record: LogRecord): string {
  const time = new Date(record.time).toISOString().slice(11, 23);
  const fields = Object.entries(record.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const p = plain(v);
      const text = typeof p === 'string' ? p : JSON.stringify(p);
      return `${k}=${/\s/.test(text) ? JSON.stringify(text) : text}`;
    });
  return `${time} ${record.level.toUpperCase().padEnd(5)} ${record.message}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

export interface StreamLoggerOptions {
  /** Lowest level written. Default 'info'. */
  readonly level?: LogLevel;
  /** 'json' (one object per line) or 'pretty' (aligned text). Default 'json'. */
  readonly format?: 'json' | 'pretty';
  /** Fields on every line. Default none. */
  readonly bindings?: LogFields;
}

/** A logger writing lines to anything with `write(text)` (process.stderr in Node, a console adapter in pages). */
export function createStreamLogger(
  stream: { write(text: string): unknown },
  options: StreamLoggerOptions = {},
): Logger {
  const format = options.format === 'pretty' ? formatPrettyLine : formatJsonLine;
  return createLogger((record) => stream.write(`${format(record)}\n`), options.level, options.bindings);
}

/** Parses a `--log-level` value; undefined for anything else, so callers can name the bad value. */
export function parseLogLevel(text: string): LogLevel | undefined {
  return (LOG_LEVELS as readonly string[]).includes(text) ? (text as LogLevel) : undefined;
}
