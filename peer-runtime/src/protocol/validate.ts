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
import type { AttemptPhases } from '../run/types.js';
import {
  boolean,
  bytes,
  choice,
  type Failure,
  list,
  number,
  object,
  optional,
  pathOf,
  readFirst,
  refine,
  type Schema,
  string,
} from '../schema/index.js';
import type { FetchTicket, ResultReceipt } from './messages.js';

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

/** Bytes of exactly `length`. */
function bytesOf(length: number): Schema<Uint8Array> {
  return refine(bytes(), (b) =>
    b.byteLength === length ? undefined : { complaint: `must be ${length} bytes, not ${b.byteLength}` },
  );
}

/** A SHA-256 digest of a result's bytes. */
export const digest: Schema<Uint8Array> = bytesOf(32);

/** A fetch grant (mesh/fetch-grants.ts): expiry in epoch seconds and a 16-byte MAC. */
export const ticket: Schema<FetchTicket> = object<FetchTicket>({
  exp: number({ integer: true, min: 0 }),
  mac: bytesOf(16),
});

/** A cache receipt (coordinator/receipts.ts): checked for shape here, for its MAC by the coordinator. */
export const receipt: Schema<ResultReceipt> = object<ResultReceipt>({
  hash: id,
  digest,
  verified: flag,
  issuer: id,
  issuedAt: optional(uint),
  mac: bytesOf(16),
});

/** A receipt read back from storage (agent/receipt-book.ts), or undefined when it is not one. */
export function readReceipt(value: unknown): ResultReceipt | undefined {
  const read = readFirst(receipt, value);
  return read.ok ? read.value : undefined;
}

/** Where an attempt's time went on its peer (run/types.ts AttemptPhases): three durations, ms. */
export const attemptPhases: Schema<AttemptPhases> = object<AttemptPhases>({
  fetchMs: number({ min: 0 }),
  runMs: number({ min: 0 }),
  storeMs: number({ min: 0 }),
});

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
export const functionOutput: Schema<FunctionOutput> = withinOutputBudget(
  object<FunctionOutput>({
    lines: list(outputLine, { max: OUTPUT_LIMIT_LINES }),
    droppedLines: uint,
  }),
);

/** `schema` refused when its lines hold more than OUTPUT_LIMIT_CHARS characters in all (task and run events alike). */
export function withinOutputBudget<T extends FunctionOutput>(schema: Schema<T>): Schema<T> {
  return refine(schema, (o) =>
    outputSize(o) > OUTPUT_LIMIT_CHARS
      ? { key: 'lines', complaint: `must hold at most ${OUTPUT_LIMIT_CHARS} characters in all` }
      : undefined,
  );
}

/** A list of ids (holders, hashes) of at most `max`. */
export function idList(max = MAX_ARRAY): Schema<string[]> {
  return list(id, { max });
}

/** The ProtocolError of a failure: `field '<path>' <complaint>`, with the path as its `field`. */
export function protocolError(failure: Failure): ProtocolError {
  const path = pathOf(failure) || 'message';
  return new ProtocolError(`field '${path}' ${failure.complaint}`, path);
}
