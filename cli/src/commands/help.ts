/** Usage text shared by the commands and main.ts. */
import { CliInputError } from '../errors.js';
import { CONFIG_FILE, type CommandName, SETTING_NAMES, SETTINGS } from '../settings.js';
import type { CommandDef } from './types.js';

export function commandHelp(command: CommandDef): string {
  const flags = SETTING_NAMES.filter((n) =>
    (SETTINGS[n].commands as readonly string[]).includes(command.name),
  ).map((n) => {
    const d = SETTINGS[n];
    const flag = d.kind === 'boolean' ? d.flag : `${d.flag} <value>`;
    return `  ${flag.padEnd(24)} ${d.env.padEnd(22)} ${d.planned ? '(not available yet) ' : ''}${firstSentence(d.meaning)}`;
  });
  flags.push(
    `  ${`${CONFIG_FILE.flag} <path>`.padEnd(24)} ${CONFIG_FILE.env.padEnd(22)} Settings file (default ./${CONFIG_FILE.defaultName} when present).`,
  );
  return `usage: ${command.synopsis}\n\n${command.description}\n\nflags (flag, environment variable):\n${flags.join('\n')}\n`;
}

function firstSentence(text: string): string {
  const i = text.indexOf('. ');
  return i === -1 ? text : text.slice(0, i + 1);
}

/** The one positional argument of `run` and `validate`. */
export function singleFileArgument(command: CommandName, positionals: readonly string[]): string {
  const [file, extra] = positionals;
  if (file === undefined)
    throw new CliInputError(`handout ${command} needs a DAG file: handout ${command} <file>`);
  if (extra !== undefined)
    throw new CliInputError(`unexpected argument '${extra}' (handout ${command} takes one file)`);
  return file;
}
