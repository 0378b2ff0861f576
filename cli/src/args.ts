/**
 * A small argument parser: `--flag value`, `--flag=value`, boolean flags (`--json`, `--json=false`), `--help`,
 * `--` to end flags. Hand-written rather than node:util's parseArgs so that every error is one line naming the
 * flag and the command, the CLI's contract for bad input.
 */
import { closestName } from '@handout/peer-runtime/schema';
import { CliInputError } from './errors.js';
import { CONFIG_FILE, type CommandName, SETTING_NAMES, SETTINGS, type SettingName } from './settings.js';

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Raw flag values by setting; booleans given bare are `'true'`. */
  readonly flags: ReadonlyMap<SettingName, string>;
  /** The `--config` flag, if given. */
  readonly configPath?: string;
  readonly help: boolean;
}

export function parseCommandArgs(command: CommandName, argv: readonly string[]): ParsedArgs {
  const byFlag = new Map<string, SettingName>();
  for (const name of SETTING_NAMES) {
    if ((SETTINGS[name].commands as readonly string[]).includes(command))
      byFlag.set(SETTINGS[name].flag, name);
  }
  const positionals: string[] = [];
  const flags = new Map<SettingName, string>();
  let configPath: string | undefined;
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new CliInputError(`${flag} needs a value (handout ${command} ${flag} <value>)`);
      }
      i++;
      return next;
    };
    if (flag === CONFIG_FILE.flag) {
      configPath = takeValue();
      continue;
    }
    const name = byFlag.get(flag);
    if (name === undefined) {
      const near = closestName(flag, [...byFlag.keys(), CONFIG_FILE.flag]);
      const hint = near === undefined ? '' : `did you mean ${near}? `;
      throw new CliInputError(
        `unknown flag ${flag} for 'handout ${command}' (${hint}see handout ${command} --help)`,
      );
    }
    const def: { kind: string; repeatable?: boolean } = SETTINGS[name];
    const value = def.kind === 'boolean' ? (inline ?? 'true') : takeValue();
    const before = flags.get(name);
    flags.set(name, def.repeatable && before !== undefined ? `${before},${value}` : value);
  }
  return { positionals, flags, help, ...(configPath === undefined ? {} : { configPath }) };
}
