/**
 * The command table and dispatcher of `handout`, separate from main.ts (which wires it to the process) so that it
 * can run against any streams.
 */
import { configCommand } from './commands/config.js';
import { peerCommand } from './commands/peer.js';
import { runCommand } from './commands/run.js';
import { signalCommand } from './commands/signal.js';
import { tokenCommand } from './commands/token.js';
import type { CommandContext, CommandDef } from './commands/types.js';
import { validateCommand } from './commands/validate.js';
import { CliInputError, EXIT, type ExitCode } from './errors.js';

export const COMMANDS: readonly CommandDef[] = [
  runCommand,
  validateCommand,
  configCommand,
  signalCommand,
  tokenCommand,
  peerCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: handout <command> [arguments] [flags]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'handout <command> --help shows the flags of a command; docs/cli.md documents everything.',
    'exit codes: 0 success, 1 a function failed, 2 invalid DAG or bad input, 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

/** Runs one command line; returns the exit code. Errors of bad input become one line on stderr. */
export async function runCli(argv: readonly string[], ctx: Omit<CommandContext, 'argv'>): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    ctx.stderr.write(usage());
    return EXIT.badInput;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(usage());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    ctx.stderr.write(`handout: unknown command '${name}'\n\n${usage()}`);
    return EXIT.badInput;
  }
  try {
    return await command.run({ ...ctx, argv: rest });
  } catch (error) {
    if (error instanceof CliInputError) {
      ctx.stderr.write(`handout: ${error.message}\n${error.details.map((d) => `  ${d}\n`).join('')}`);
      return error.exitCode;
    }
    // Not bad input we recognised: a bug or an environment failure. Say so with the stack, exit 1.
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    ctx.stderr.write(`handout: internal error: ${text}\n`);
    return EXIT.functionFailed;
  }
}
