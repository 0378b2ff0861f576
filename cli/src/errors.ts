/**
 * Exit codes and the one error the CLI throws for bad input. Every message names its culprit (the file, the
 * flag, the function id, the field or the line) because it is the only line a user sees before the prompt.
 */
// The errors subpath alone: `handout --version` and help load nothing of the DAG model.
import { HandoutError } from '@handout/peer-runtime/errors';

/** The process exit codes of `handout`, documented in docs/cli.md. */
export const EXIT = {
  /** Every function succeeded (or `validate` found nothing wrong). */
  ok: 0,
  /** A function failed (after its retries); the run's other results are still printed. */
  functionFailed: 1,
  /** Invalid DAG or bad input: unknown command or flag, bad value, unreadable or unrecognised file. */
  badInput: 2,
  /** Interrupted by Ctrl-C (SIGINT) after the run reported itself cancelled (128 + SIGINT's number 2). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad input to the CLI: exits 2 with `message` as the one-line reason. */
export class CliInputError extends HandoutError {
  override name = 'CliInputError';
  readonly exitCode: ExitCode = EXIT.badInput;
  /** Further lines printed after the reason, e.g. the other problems of an invalid DAG. */
  readonly details: readonly string[];
  constructor(message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options);
    this.details = options?.details ?? [];
  }
}
