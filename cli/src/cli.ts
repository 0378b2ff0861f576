/**
 * The command table and dispatcher of `handout`, separate from main.ts (which wires it to the process) so that it
 * can run against any streams. The table holds each command's metadata only; a command's implementation (and its
 * dependencies: socket.io, WebRTC, LMDB, the SDK) is imported when that command runs.
 */
import { readFileSync } from 'node:fs';
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
    'handout <command> --help shows the flags of a command; handout --version prints the version.',
    "The full reference is docs/cli.md, in the repository and in this package's folder.",
    'exit codes: 0 success, 1 a function failed, 2 invalid DAG or bad input, 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

/** The version of the `handout` package, read from its package.json (one level above src/ and dist/). */
export function cliVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
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
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${cliVersion()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    ctx.stderr.write(`handout: unknown command '${name}'\n\n${usage()}`);
    return EXIT.badInput;
  }
  try {
    const implementation = await command.load();
    return await implementation.run({ ...ctx, argv: rest }, command);
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
