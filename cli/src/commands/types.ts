/** What every subcommand receives and returns; main.ts wires it to the real process. */
import type { ExitCode } from '../errors.js';
import type { ProgressStream } from '../progress.js';
import type { CommandName } from '../settings.js';

export interface CommandContext {
  /** The arguments after the command name. */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}

/**
 * A command's metadata (what `handout --help` and docs/cli.md show) and a loader for its implementation. The
 * metadata modules (commands/<name>.ts) import nothing heavy; each implementation (commands/<name>-action.ts) is
 * imported only when its command runs, so `handout --version` or `handout validate` never loads socket.io,
 * WebRTC or LMDB (cli/test/startup.test.ts checks it).
 */
export interface CommandDef {
  readonly name: CommandName;
  /** One line for the command list. */
  readonly summary: string;
  /** `handout run <file> [flags]` */
  readonly synopsis: string;
  /** Paragraphs for `--help` and docs/cli.md. */
  readonly description: string;
  /** Imports the implementation (a dynamic import, so its dependencies load only now). */
  load(): Promise<CommandModule>;
}

/** The implementation of a command: runs it against the given context and returns the exit code. */
export interface CommandModule {
  run(ctx: CommandContext): Promise<ExitCode>;
}
