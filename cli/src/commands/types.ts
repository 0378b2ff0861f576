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

export interface CommandDef {
  readonly name: CommandName;
  /** One line for the command list. */
  readonly summary: string;
  /** `handout run <file> [flags]` */
  readonly synopsis: string;
  /** Paragraphs for `--help` and docs/cli.md. */
  readonly description: string;
  run(ctx: CommandContext): Promise<ExitCode>;
}
