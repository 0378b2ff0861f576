/**
 * The one table of CLI settings. Each setting has a flag, an environment variable and a config-file key, and is
 * resolved in that order (flag, then `HANDOUT_*` variable, then `handout.config.json`, then the default) by
 * config.ts. docs.ts renders this same table into docs/cli.md, so the docs cannot drift from the code.
 */
import { availableParallelism } from 'node:os';
// The light subpath: `@handout/peer-runtime/peer` would load the whole mesh (WebRTC, socket.io) at start-up.
import { IceServerSyntaxError, parseIceServers } from '@handout/peer-runtime/ice-servers';
import {
  choice,
  boolean as kitBoolean,
  number,
  readFirst,
  refine,
  type Schema,
  string,
} from '@handout/peer-runtime/schema';
import { CliInputError } from './errors.js';

/** The commands. `token`, `signal` and `peer` parse their own flags (commands/mesh-flags.ts). */
export type CommandName = 'run' | 'validate' | 'config' | 'token' | 'signal' | 'peer';

/** A raw value: a string from a flag or an environment variable, or any JSON value from the config file. */
export type RawValue = unknown;

export interface SettingDef<T> {
  /** `--flag`; also the config-file key without the dashes, in camelCase (see `configKey`). */
  readonly flag: string;
  readonly env: string;
  readonly configKey: string;
  /** Flags that take no value (`--json`) are booleans; every other flag needs a value. */
  readonly kind: 'boolean' | 'value';
  readonly defaultValue: () => T;
  /** The default as the docs show it. */
  readonly defaultText: string;
  readonly meaning: string;
  /** The commands that read this setting (a flag given to another command is an error). */
  readonly commands: readonly CommandName[];
  /** Set when the setting is reserved for a feature that is not there yet: the docs say so and using it exits 2. */
  readonly planned?: string;
  /** Given several times, the flag's values add up (joined by commas). */
  readonly repeatable?: boolean;
  /** Turns a raw value into the setting's value; `origin` names where it came from, for the error message. */
  readonly parse: (raw: RawValue, origin: string) => T;
}

function setting<T>(def: SettingDef<T>): SettingDef<T> {
  return def;
}

/**
 * Reads a raw value with a schema of the validation kit (`@handout/peer-runtime/schema`, the one kit of every
 * boundary), or throws the CLI's one-line error naming where the value came from and quoting it as given.
 */
function checked<T>(schema: Schema<T>, value: unknown, raw: RawValue, origin: string): T {
  const outcome = readFirst(schema, value);
  if (outcome.ok) return outcome.value;
  throw new CliInputError(`${origin} must be ${schema.expected}, got ${JSON.stringify(raw)}`);
}

/** A number from a config-file number or a flag/env string that is a plain decimal; anything else as it is. */
function numeric(raw: RawValue, pattern: RegExp): unknown {
  return typeof raw === 'string' && pattern.test(raw) ? Number(raw) : raw;
}

const POSITIVE_INTEGER = number({ integer: true, min: 1, name: 'a positive integer' });
const NON_NEGATIVE = number({ min: 0, name: 'a number >= 0' });
const NON_EMPTY = refine(string({ min: 1, max: 64 * 1024 }), (s) =>
  s.trim() === '' ? { complaint: 'must not be blank' } : undefined,
);

function positiveInteger(raw: RawValue, origin: string): number {
  return checked(POSITIVE_INTEGER, numeric(raw, /^\s*\d+\s*$/), raw, origin);
}

function nonNegativeNumber(raw: RawValue, origin: string): number {
  return checked(NON_NEGATIVE, numeric(raw, /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i), raw, origin);
}

function iceServerList(raw: RawValue, origin: string): RTCIceServer[] {
  const strings = Array.isArray(raw) && raw.every((x) => typeof x === 'string');
  if (typeof raw !== 'string' && !strings)
    throw new CliInputError(
      `${origin} must be ICE server URLs (a string or a list of strings), got ${JSON.stringify(raw)}`,
    );
  try {
    return parseIceServers(raw as string | string[]);
  } catch (error) {
    if (error instanceof IceServerSyntaxError || error instanceof TypeError)
      throw new CliInputError(`${origin}: ${(error as Error).message}`);
    throw error;
  }
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', '']);

function boolean(raw: RawValue, origin: string): boolean {
  const word = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  const value = word === undefined ? raw : TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : raw;
  return checked(kitBoolean(), value, raw, origin);
}

function nonEmptyString(raw: RawValue, origin: string): string {
  return checked(NON_EMPTY, raw, raw, origin);
}

function oneOf<const T extends string>(choices: readonly T[]) {
  const schema = choice(choices, `one of ${choices.join(', ')}`);
  return (raw: RawValue, origin: string): T => checked(schema, raw, raw, origin);
}

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export const STRATEGIES = [
  'first-available',
  'load-balanced',
  'cost-optimized',
  'time-optimized',
  'locality',
] as const;

/** Every setting, in the order the docs list them. */
export const SETTINGS = {
  concurrency: setting<number>({
    flag: '--concurrency',
    env: 'HANDOUT_CONCURRENCY',
    configKey: 'concurrency',
    kind: 'value',
    defaultValue: () => availableParallelism(),
    defaultText: 'the number of cores (`os.availableParallelism()`)',
    meaning: 'How many functions run at once locally (the size of the worker pool). A positive integer.',
    commands: ['run', 'config'],
    parse: positiveInteger,
  }),
  scale: setting<number | undefined>({
    flag: '--scale',
    env: 'HANDOUT_SCALE',
    configKey: 'scale',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: 'STG 1, WfFormat 0.001',
    meaning:
      'Scale of the synthetic CPU work that imported DAGs run. STG: milliseconds of work per time unit (default 1). ' +
      'WfFormat: the fraction of each recorded runtime to spend (default 0.001: a 16 s task runs 16 ms). A number ' +
      '>= 0 (0: no work, only the shape). Ignored for modules and Handout JSON.',
    commands: ['run', 'validate', 'config'],
    parse: nonNegativeNumber,
  }),
  dataScale: setting<number | undefined>({
    flag: '--data-scale',
    env: 'HANDOUT_DATA_SCALE',
    configKey: 'dataScale',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: '0 (results stay small)',
    meaning:
      'WfFormat only: each task also returns this fraction of the bytes of its recorded output files, so data ' +
      'travels between tasks as it did in the trace (0.001: a 16 MB file becomes 16 KB). A number >= 0. ' +
      'Ignored for other kinds of file.',
    commands: ['run', 'validate', 'config'],
    parse: nonNegativeNumber,
  }),
  json: setting<boolean>({
    flag: '--json',
    env: 'HANDOUT_JSON',
    configKey: 'json',
    kind: 'boolean',
    defaultValue: () => false,
    defaultText: 'false',
    meaning:
      'Print the outcome as one JSON document on stdout (see "JSON output") instead of the human summary. ' +
      'Progress still goes to stderr.',
    commands: ['run', 'validate', 'config'],
    parse: boolean,
  }),
  quiet: setting<boolean>({
    flag: '--quiet',
    env: 'HANDOUT_QUIET',
    configKey: 'quiet',
    kind: 'boolean',
    defaultValue: () => false,
    defaultText: 'false',
    meaning:
      'Do not print what functions print. By default every line a function prints (`console.log` and friends, ' +
      'captured in its worker, locally or on a mesh peer) goes to stderr as `[<function id>] <text>`, never to ' +
      'stdout; the lines are kept on the records either way.',
    commands: ['run', 'config'],
    parse: boolean,
  }),
  progress: setting<ProgressMode>({
    flag: '--progress',
    env: 'HANDOUT_PROGRESS',
    configKey: 'progress',
    kind: 'value',
    defaultValue: () => 'auto',
    defaultText: 'auto',
    meaning:
      'How progress is shown on stderr: `bar` (a redrawn progress bar), `lines` (one line per finished ' +
      'function), `none`, or `auto` (a bar when stderr is a terminal, lines otherwise).',
    commands: ['run', 'config'],
    parse: oneOf(PROGRESS_MODES),
  }),
  signal: setting<string | undefined>({
    flag: '--signal',
    env: 'HANDOUT_SIGNAL',
    configKey: 'signal',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: 'unset (run locally)',
    meaning:
      'URL of a signaling server (or several, a,b: processes sharing Redis, tried in turn): run the DAG on that mesh instead of on this machine.',
    commands: ['run', 'config'],
    parse: nonEmptyString,
  }),
  token: setting<string | undefined>({
    flag: '--token',
    env: 'HANDOUT_TOKEN',
    configKey: 'token',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: 'unset',
    meaning: 'The token that admits this client to the mesh given by `--signal` (needs the `submit` role).',
    commands: ['run', 'config'],
    parse: nonEmptyString,
  }),
  strategy: setting<(typeof STRATEGIES)[number] | undefined>({
    flag: '--strategy',
    env: 'HANDOUT_STRATEGY',
    configKey: 'strategy',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: "the coordinator's default",
    meaning: `How a mesh run places functions on peers: ${STRATEGIES.map((s) => `\`${s}\``).join(', ')}.`,
    commands: ['run', 'config'],
    parse: oneOf(STRATEGIES),
  }),
  iceServers: setting<RTCIceServer[]>({
    flag: '--ice-server',
    env: 'HANDOUT_ICE_SERVERS',
    configKey: 'iceServers',
    kind: 'value',
    repeatable: true,
    defaultValue: () => [],
    defaultText: 'none (plus what the signaling server hands out)',
    meaning:
      'STUN/TURN servers of this client for a mesh run: `stun:host:3478`, `turn:user:password@host:3478` ' +
      '(`?transport=tcp` for TURN over TCP), `turns:...`; the flag repeated or comma-separated, the config key a ' +
      'list of such strings. Those the signaling server offers (`handout signal --turn-url`) are used as well.',
    commands: ['run', 'config'],
    parse: iceServerList,
  }),
  verify: setting<number | undefined>({
    flag: '--verify',
    env: 'HANDOUT_VERIFY',
    configKey: 'verify',
    kind: 'value',
    defaultValue: () => undefined,
    defaultText: 'off (results are believed)',
    meaning:
      'On a mesh: run each function on this many distinct peers and accept a value only when a majority of ' +
      'their result digests agree; peers that lose quorums are quarantined (docs/security.md). 2 or more; ' +
      'functions marked `deterministic: false` are not replicated.',
    commands: ['run', 'config'],
    parse: positiveInteger,
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never };
export type SettingSource = 'flag' | 'env' | 'config' | 'default';

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** The `--config` flag and `HANDOUT_CONFIG` variable: where the config file is; not itself a config key. */
export const CONFIG_FILE = {
  flag: '--config',
  env: 'HANDOUT_CONFIG',
  defaultName: 'handout.config.json',
} as const;
