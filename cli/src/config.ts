/**
 * Resolves the settings of one command: flag, then environment variable (`HANDOUT_*`), then the config file
 * (`--config <path>`, else `HANDOUT_CONFIG`, else `handout.config.json` in the current directory when it exists),
 * then the default. The table of settings lives in settings.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { closestName } from '@handout/peer-runtime/schema';
import type { ParsedArgs } from './args.js';
import { CliInputError } from './errors.js';
import { parseJsonText } from './json-text.js';
import {
  CONFIG_FILE,
  SETTING_NAMES,
  SETTINGS,
  type SettingName,
  type SettingSource,
  type Settings,
} from './settings.js';

export interface ResolvedSettings {
  readonly values: Settings;
  readonly sources: { readonly [K in SettingName]: SettingSource };
  /** The config file that was read, if any (absolute path). */
  readonly configFile?: string;
}

export interface ResolveOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export function resolveSettings(args: ParsedArgs, options: ResolveOptions): ResolvedSettings {
  const { file, values: fileValues } = readConfigFile(args, options);
  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const name of SETTING_NAMES) {
    const def = SETTINGS[name];
    const flag = args.flags.get(name);
    const env = options.env[def.env];
    if (flag !== undefined) {
      values[name] = def.parse(flag, def.flag);
      sources[name] = 'flag';
    } else if (env !== undefined && env !== '') {
      values[name] = def.parse(env, `environment variable ${def.env}`);
      sources[name] = 'env';
    } else if (fileValues !== undefined && Object.hasOwn(fileValues, def.configKey)) {
      values[name] = def.parse(fileValues[def.configKey], `${file}: key "${def.configKey}"`);
      sources[name] = 'config';
    } else {
      values[name] = def.defaultValue();
      sources[name] = 'default';
    }
  }
  return {
    values: values as Settings,
    sources: sources as ResolvedSettings['sources'],
    ...(file === undefined ? {} : { configFile: file }),
  };
}

function readConfigFile(
  args: ParsedArgs,
  { env, cwd }: ResolveOptions,
): { file?: string; values?: Readonly<Record<string, unknown>> } {
  const explicit = args.configPath ?? (env[CONFIG_FILE.env] || undefined);
  const file = resolve(cwd, explicit ?? CONFIG_FILE.defaultName);
  if (explicit === undefined && !existsSync(file)) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const origin = args.configPath !== undefined ? CONFIG_FILE.flag : CONFIG_FILE.env;
    throw new CliInputError(`cannot read the config file ${file} (${origin}): ${describeFsError(error)}`);
  }
  const parsed = parseJsonText(text, file);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliInputError(`${file}: the config file must hold a JSON object of settings`);
  }
  const known = SETTING_NAMES.map((n) => SETTINGS[n].configKey);
  for (const key of Object.keys(parsed)) {
    if (!known.includes(key)) {
      const near = closestName(key, known);
      const hint = near === undefined ? '' : `; did you mean "${near}"?`;
      throw new CliInputError(`${file}: unknown key "${key}"${hint} (known: ${known.join(', ')})`);
    }
  }
  return { file, values: parsed as Record<string, unknown> };
}

export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/** Where a setting's value came from, as a user would name it: `--signal`, `HANDOUT_SIGNAL`, `handout.config.json: "signal"`. */
export function settingOrigin(name: SettingName, resolved: ResolvedSettings): string {
  const def = SETTINGS[name];
  switch (resolved.sources[name]) {
    case 'flag':
      return def.flag;
    case 'env':
      return `environment variable ${def.env}`;
    case 'config':
      return `${resolved.configFile}: "${def.configKey}"`;
    default:
      return `the default of ${def.flag}`;
  }
}
