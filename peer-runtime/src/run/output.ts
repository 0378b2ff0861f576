/**
 * What a function prints: `console.log/info/debug/warn/error` inside a function are captured in its worker
 * (worker/output-capture.ts), per attempt, and travel with the attempt's outcome — to the local engine, or on a
 * mesh from the peer to the coordinator (`task:result` / `task:failed`) and on to the submitter (on the
 * attempt's `task:succeeded` / `task:failed` run event, replayed there as `function:log`). They never reach the worker's or the peer's stdout: a peer's console belongs to its operator, and
 * `handout run --json` must stay valid JSON whatever functions print.
 *
 * Bounded per attempt: a function that prints in a loop must not fill a peer's memory or a data channel. Past
 * the budget the line that overflows is cut, later lines are counted (`droppedLines`) and not kept.
 */

/** The console method a line came from (`trace` and `dir` count as `debug` and `log`). */
export type OutputLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';

export const OUTPUT_LEVELS: readonly OutputLevel[] = ['debug', 'log', 'info', 'warn', 'error'];

/** One printed line (one console call; it may hold newlines). `at`: epoch ms, the worker's clock. */
export interface OutputLine {
  readonly level: OutputLevel;
  readonly text: string;
  readonly at: number;
}

/** Everything one attempt printed, as it travels (wire, worker boundary). */
export interface FunctionOutput {
  readonly lines: readonly OutputLine[];
  /** Lines not kept because the attempt passed OUTPUT_LIMIT_CHARS. */
  readonly droppedLines: number;
}

/**
 * Characters kept per attempt, over all its lines (each line costs its length + 1, so empty lines count too).
 * 64 Ki: ample for progress and debugging prints; a function that means to return data returns it.
 */
export const OUTPUT_LIMIT_CHARS = 64 * 1024;

/** Most lines kept per attempt (bounded by the budget too; this bounds the wire validator's list). */
export const OUTPUT_LIMIT_LINES = OUTPUT_LIMIT_CHARS;

/** What an attempt printed, attributed: kept on `FunctionRecord.logs` and sent as the `function:log` event. */
export interface AttemptOutput extends FunctionOutput {
  readonly attempt: number;
  /** Where the attempt ran: `local:N` or a peer id. */
  readonly peer: string;
}

/** The characters `output` spends of the budget. */
export function outputSize(output: FunctionOutput): number {
  let size = 0;
  for (const line of output.lines) size += line.text.length + 1;
  return size;
}
