/**
 * The logger of a long-running command (`handout peer`, `handout signal`): one `Logger` (the runtime's interface,
 * @handout/peer-runtime/telemetry) built from `--log-level` and `--log-format`, handed to every part of the
 * process (signaling server, peer agent, coordinator), so a process writes one stream of lines.
 *
 * - `json`: pino, one object per line `{ "level": "info", "time": "<ISO>", "msg", ...fields }` — what log
 *   collectors (Loki, Elasticsearch, CloudWatch) read; pino keeps serialisation fast and correct.
 * - `pretty`: the runtime's own aligned text (`12:00:00.000 INFO  msg  key=value`), for people at a terminal.
 *   Not pino-pretty: that runs as a transport in a worker thread with a dozen dependencies, for ten lines here.
 *
 * Lines go to the command's stdout, as the peer's event lines always have (a service's output is its log).
 */
import {
  createStreamLogger,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LogLevel,
  parseLogLevel,
} from '@handout/peer-runtime/telemetry';
import { pino } from 'pino';
import type { ParsedFlags } from './commands/mesh-flags.js';
import { CliInputError } from './errors.js';

export type LogFormat = 'json' | 'pretty';

export interface ProcessLoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Fields on every line (e.g. `{ service: 'signal' }`). */
  readonly bindings?: LogFields;
}

/** Reads `--log-level` and `--log-format` (`--json` makes json the default); bad values exit 2 naming the flag. */
export function logOptionsFromFlags(flags: ParsedFlags, json: boolean): ProcessLoggerOptions {
  const levelText = flags.values.get('--log-level');
  const level = levelText === undefined ? 'info' : parseLogLevel(levelText.trim().toLowerCase());
  if (level === undefined)
    throw new CliInputError(
      `${flags.origin('--log-level')} must be one of ${LOG_LEVELS.join(', ')}, got '${levelText}'`,
    );
  const formatText = flags.values.get('--log-format');
  const format = formatText === undefined ? (json ? 'json' : 'pretty') : formatText.trim().toLowerCase();
  if (format !== 'json' && format !== 'pretty')
    throw new CliInputError(`${flags.origin('--log-format')} must be json or pretty, got '${formatText}'`);
  if (json && format !== 'json')
    throw new CliInputError(
      `--json asks for --log-format json, but ${flags.origin('--log-format')} says ${format}`,
    );
  return { level, format };
}

export function createProcessLogger(
  stream: { write(text: string): unknown },
  options: ProcessLoggerOptions,
): Logger {
  if (options.format === 'pretty')
    return createStreamLogger(stream, { level: options.level, format: 'pretty', bindings: options.bindings });
  const base = pino(
    {
      level: options.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (text: string) => stream.write(text) },
  );
  return new PinoLogger(options.bindings ? base.child(options.bindings) : base);
}

/** The runtime's Logger over a pino logger: `info(message, fields)` is pino's `info(fields, message)`. */
class PinoLogger implements Logger {
  constructor(private readonly p: pino.Logger) {}

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.p.child(fields));
  }

  private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    try {
      if (fields) this.p[level](plainFields(fields), message);
      else this.p[level](message);
    } catch {
      // A stream that throws (closed stdout) must not take down the part that logs: the line is lost.
    }
  }
}

/** Errors as `{ name, message }` under their own key (pino serialises only `err` specially). */
function plainFields(fields: LogFields): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out ??= { ...fields };
      out[k] = { name: v.name, message: v.message };
    }
  }
  return out ?? fields;
}
