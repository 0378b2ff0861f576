/**
 * The one table of CLI settings. Each setting has a flag, an environment variable and a config-file key, and is
 * resolved in that order (flag, then `HANDOUT_*` variable, then `handout.config.json`, then the default) by
 * config.ts. docs.ts renders this same table into docs/cli.md, so the docs cannot drift from the code.
 */
import { availableParallelism } from 'node:os';
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
  /** Turns a raw value into the setting's value; `origin` names where it came from, for the error message. */
  readonly parse: (raw: RawValue, origin: string) => T;
}

function setting<T>(def: SettingDef<T>): SettingDef<T> {
  return def;
}

function positiveInteger(raw: RawValue, origin: string): number {
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)
        ? Number(raw)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new CliInputError(`${origin} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function nonNegativeNumber(raw: RawValue, origin: string): number {
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new CliInputError(`${origin} must be a number >= 0, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function boolean(raw: RawValue, origin: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  }
  throw new CliInputError(`${origin} must be true or false, got ${JSON.stringify(raw)}`);
}

function nonEmptyString(raw: RawValue, origin: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new CliInputError(`${origin} must be a non-empty string, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function oneOf<const T extends string>(choices: readonly T[]) {
  return (raw: RawValue, origin: string): T => {
    if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as T;
    throw new CliInputError(`${origin} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  };
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
