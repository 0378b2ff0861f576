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

/** One flag of a mesh command (`token`, `signal`, `peer`; mesh-flags.ts parses them). */
export interface FlagDef {
  readonly flag: `--${string}`;
  readonly kind: 'value' | 'boolean';
  /** Read when the flag is absent. */
  readonly env?: string;
  /** One line for `--help`. */
  readonly meaning: string;
  /** Given several times, the values add up (joined by commas, as one comma-separated value would be). */
  readonly repeatable?: boolean;
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
  /**
   * The flags of a mesh command (`token`, `signal`, `peer`); the other commands take the settings of
   * settings.ts. Kept on the metadata so the implementation reads them from the `CommandDef` it is given.
   */
  readonly flags?: readonly FlagDef[];
  /** Imports the implementation (a dynamic import, so its dependencies load only now). */
  load(): Promise<CommandModule>;
}

/**
 * The implementation of a command: runs it against the given context and returns the exit code. It is handed
 * its own metadata (`command`, for `--help` and its flags) rather than importing it, so the metadata module,
 * which imports the implementation lazily, and the implementation do not import each other.
 */
export interface CommandModule {
  run(ctx: CommandContext, command: CommandDef): Promise<ExitCode>;
}
