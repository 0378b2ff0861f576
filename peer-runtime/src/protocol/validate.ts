/**
 * What every data-channel message validator shares: the field schemas used across messages (built with the
 * validation kit, ../schema) and how a failure becomes the protocol's error, a ProtocolError naming the field
 * by its path (`messages[0].assignments[3].spec.args[1]`).
 */
import { idSchema } from '../dag/validate-spec.js';
import { ProtocolError } from '../errors.js';
import {
  type FunctionOutput,
  OUTPUT_LEVELS,
  OUTPUT_LIMIT_CHARS,
  OUTPUT_LIMIT_LINES,
  type OutputLine,
  outputSize,
} from '../run/output.js';
import {
  boolean,
  choice,
  type Failure,
  list,
  number,
  object,
  pathOf,
  refine,
  type Schema,
  string,
} from '../schema/index.js';

/** Longest free-text field we accept (messages, reasons, stacks). Code travels in specs, with its own bound. */
export const MAX_STRING = 64 * 1024;
/** Longest array field (assignment batches, id lists). */
export const MAX_ARRAY = 100_000;

/** A non-empty id of at most 1024 characters (run, function, peer ids, content hashes). */
export const id: Schema<string> = idSchema;
export const text: Schema<string> = string({ max: MAX_STRING });
/** A non-negative safe integer (attempts, sizes, request ids). */
export const uint: Schema<number> = number({ integer: true, min: 0 });
/** Any finite number (timestamps, durations). */
export const finite: Schema<number> = number();
export const flag: Schema<boolean> = boolean();

/** One printed line of a function (run/output.ts). */
export const outputLine: Schema<OutputLine> = object<OutputLine>({
  level: choice(OUTPUT_LEVELS),
  text,
  at: finite,
});

/**
 * What one attempt printed. A peer that sends more than the budget its own worker keeps is not merely chatty:
 * it is not running our code, so the message is refused rather than cut.
 */
export const functionOutput: Schema<FunctionOutput> = refine(
  object<FunctionOutput>({
    lines: list(outputLine, { max: OUTPUT_LIMIT_LINES }),
    droppedLines: uint,
  }),
  (o) =>
    outputSize(o) > OUTPUT_LIMIT_CHARS
      ? { key: 'lines', complaint: `must hold at most ${OUTPUT_LIMIT_CHARS} characters in all` }
      : undefined,
);

/** A list of ids (holders, hashes) of at most `max`. */
export function idList(max = MAX_ARRAY): Schema<string[]> {
  return list(id, { max });
}

/** The ProtocolError of a failure: `field '<path>' <complaint>`, with the path as its `field`. */
export function protocolError(failure: Failure): ProtocolError {
  const path = pathOf(failure) || 'message';
  return new ProtocolError(`field '${path}' ${failure.complaint}`, path);
}
