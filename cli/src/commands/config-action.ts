/** `handout config`: prints every setting's resolved value and where it came from (flag, env, config, default). */
import { parseCommandArgs } from '../args.js';
import { resolveSettings } from '../config.js';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { SETTING_NAMES, SETTINGS } from '../settings.js';
import { commandHelp } from './help.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const args = parseCommandArgs('config', ctx.argv);
  if (args.help) {
    ctx.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  if (args.positionals.length > 0) {
    throw new CliInputError(`unexpected argument '${args.positionals[0]}' (handout config takes no file)`);
  }
  const resolved = resolveSettings(args, ctx);
  if (resolved.values.json) {
    const settings = Object.fromEntries(
      SETTING_NAMES.map((n) => [n, { value: resolved.values[n] ?? null, source: resolved.sources[n] }]),
    );
    ctx.stdout.write(`${JSON.stringify({ configFile: resolved.configFile ?? null, settings }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = SETTING_NAMES.map((n) => {
    const value = resolved.values[n];
    return `${n.padEnd(12)} ${String(value === undefined ? '(unset)' : value).padEnd(24)} ${resolved.sources[n]}${
      SETTINGS[n].planned ? ' (not available yet)' : ''
    }`;
  });
  ctx.stdout.write(`config file: ${resolved.configFile ?? '(none)'}\n${lines.join('\n')}\n`);
  return EXIT.ok;
}
