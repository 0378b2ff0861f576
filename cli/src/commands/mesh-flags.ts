/**
 * Flag parsing for the mesh commands (`token`, `signal`, `peer`): each declares its flags in a small table
 * (flag, value or boolean, environment variable), and every error is one line naming the flag and the command,
 * like the rest of the CLI. Flags beat environment variables; there is no config-file layer for these commands
 * (secrets and tokens do not belong in a checked-in file).
 */
// The light subpath: `@handout/peer-runtime/peer` would load the whole mesh (WebRTC, socket.io) at start-up.
import { IceServerSyntaxError, parseIceServers } from '@handout/peer-runtime/ice-servers';
import { SignalingError, signalingUrls } from '@handout/peer-runtime/signaling';
import { CliInputError } from '../errors.js';
import type { CommandContext, CommandDef, FlagDef } from './types.js';

export type { FlagDef } from './types.js';

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string>;
  readonly help: boolean;
  readonly positionals: readonly string[];
  /** Where a value came from: the flag or the environment variable, for error messages. */
  origin(flag: string): string;
}

export function parseMeshFlags(
  command: string,
  argv: readonly string[],
  defs: readonly FlagDef[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedFlags {
  const byFlag = new Map(defs.map((d) => [d.flag as string, d]));
  const values = new Map<string, string>();
  const fromEnv = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const def = byFlag.get(flag);
    if (def === undefined)
      throw new CliInputError(
        `unknown flag ${flag} for 'handout ${command}' (see handout ${command} --help)`,
      );
    if (def.kind === 'boolean') {
      values.set(flag, eq === -1 ? 'true' : arg.slice(eq + 1));
      continue;
    }
    let value: string | undefined = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
    if (eq === -1) {
      if (value === undefined || (value.startsWith('--') && value.length > 2))
        throw new CliInputError(`${flag} needs a value (handout ${command} ${flag} <value>)`);
      i++;
    }
    value ??= '';
    const before = values.get(flag);
    values.set(flag, def.repeatable && before !== undefined ? `${before},${value}` : value);
  }
  for (const def of defs) {
    if (values.has(def.flag) || def.env === undefined) continue;
    const v = env[def.env];
    if (v !== undefined && v !== '') {
      values.set(def.flag, v);
      fromEnv.add(def.flag);
    }
  }
  return {
    values,
    help,
    positionals,
    origin: (flag) => {
      const def = byFlag.get(flag);
      return fromEnv.has(flag) && def?.env ? `environment variable ${def.env}` : flag;
    },
  };
}

/**
 * The flags of a mesh command, or undefined once `--help` has printed the command's help. These commands take
 * no positional argument: one is bad input.
 */
export function parseFlagsOrHelp(command: CommandDef, ctx: CommandContext): ParsedFlags | undefined {
  const defs = command.flags ?? [];
  const flags = parseMeshFlags(command.name, ctx.argv, defs, ctx.env);
  if (flags.help) {
    ctx.stdout.write(flagsHelp(command.synopsis, command.description, defs));
    return undefined;
  }
  if (flags.positionals.length > 0)
    throw new CliInputError(
      `unexpected argument '${flags.positionals[0]}' (handout ${command.name} takes only flags)`,
    );
  return flags;
}

export function flagsHelp(synopsis: string, description: string, defs: readonly FlagDef[]): string {
  const rows = defs.map((d) => {
    const name = d.kind === 'boolean' ? d.flag : `${d.flag} <value>`;
    return `  ${name.padEnd(24)} ${(d.env ?? '').padEnd(22)} ${d.meaning}`;
  });
  return `usage: ${synopsis}\n\n${description}\n\nflags (flag, environment variable):\n${rows.join('\n')}\n`;
}

export function requireValue(flags: ParsedFlags, flag: string, command: string): string {
  const v = flags.values.get(flag);
  if (v === undefined || v.trim() === '') throw new CliInputError(`handout ${command} needs ${flag} <value>`);
  return v;
}

export function booleanFlag(flags: ParsedFlags, flag: string): boolean {
  const v = flags.values.get(flag);
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  throw new CliInputError(`${flags.origin(flag)} must be true or false, got ${JSON.stringify(v)}`);
}

export function numberFlag(
  flags: ParsedFlags,
  flag: string,
  check: { integer?: boolean; min: number; max?: number },
): number | undefined {
  const v = flags.values.get(flag);
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? Number.NaN : Number(v);
  const bad =
    !Number.isFinite(n) ||
    n < check.min ||
    (check.max !== undefined && n > check.max) ||
    (check.integer === true && !Number.isInteger(n));
  if (bad) {
    const kind = check.integer ? 'an integer' : 'a number';
    const range = check.max !== undefined ? ` from ${check.min} to ${check.max}` : ` >= ${check.min}`;
    throw new CliInputError(`${flags.origin(flag)} must be ${kind}${range}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** `a,b , c` → ['a','b','c'] (empty items dropped). */
export function listFlag(flags: ParsedFlags, flag: string): string[] | undefined {
  const v = flags.values.get(flag);
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * `--signal a,b`: one signaling URL, or several processes of one deployment (sharing Redis), tried in turn
 * (a peer whose process dies reconnects to the next). `origin` names where the value came from, for errors.
 */
export function parseSignalUrls(value: string, origin: string): string[] {
  const urls = value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  try {
    return [...signalingUrls(urls)];
  } catch (error) {
    if (error instanceof SignalingError) throw new CliInputError(`${origin}: ${error.message}`);
    throw error;
  }
}

/**
 * `--ice-server` (repeated, or comma-separated; HANDOUT_ICE_SERVERS): STUN/TURN servers of this peer's own, in
 * the one-line form of `parseIceServer` (turn:user:password@host:port). Undefined when not given.
 */
export function iceServersFlag(flags: ParsedFlags): RTCIceServer[] | undefined {
  const v = flags.values.get('--ice-server');
  if (v === undefined) return undefined;
  try {
    return parseIceServers(v);
  } catch (error) {
    if (error instanceof IceServerSyntaxError)
      throw new CliInputError(`${flags.origin('--ice-server')}: ${error.message}`);
    throw error;
  }
}

/** The `--ice-server` flag as every mesh command declares it. */
