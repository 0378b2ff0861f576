/**
 * Which assignment a `task:result` or `task:failed` answers, refusing what answers none (outcomes.ts): without
 * this check, any member could write a forged result into the directory and have other runs of the same function
 * served from it.
 */
import type { Refusals } from '../mesh/refusals.js';
import type { BatchableMessage } from '../protocol/messages.js';
import type { Inflight } from './inflight.js';
import type { Dispatch } from './peer-loads.js';
import type { RunState } from './run-state.js';

export type ResultMessage = Extract<BatchableMessage, { type: 'task:result' }>;
export type FailedMessage = Extract<BatchableMessage, { type: 'task:failed' }>;
/** What the match reads of a message naming an attempt (`task:output` too: output-relay.ts). */
export type AttemptMessage = Pick<ResultMessage, 'runId' | 'functionId' | 'hash' | 'attempt'> & {
  readonly type: 'task:result' | 'task:failed' | 'task:output';
};

/** The run and function an answer is for, and the sender's dispatch it answers (undefined: stale, no longer in flight). */
export interface AnswerMatch {
  readonly run: RunState;
  readonly i: number;
  readonly winner: Dispatch | undefined;
}

export interface AnswerLookup {
  /** A running run by the key agents see. */
  readonly run: (key: string) => RunState | undefined;
  /** The dispatches in flight. */
  readonly inflight: Pick<Inflight, 'of'>;
  readonly refusals: Refusals;
}

/**
 * The assignment a completion or failure answers: the run (by the key agents see), the function, and the
 * in-flight attempt of that very peer (`winner`). A message naming no run of ours, no function of that run,
 * another hash, or an attempt never assigned to its sender is refused (counted, logged, answered) and goes no
 * further: without this, any member could write a forged result into the directory and have other runs of the
 * same function served from it. An attempt that was assigned to the sender but is no longer in flight (a lost
 * race, a cancelled copy) is stale, not forged: it returns without `winner`.
 */
export function matchAnswer(
  lookup: AnswerLookup,
  from: string,
  msg: AttemptMessage,
): AnswerMatch | undefined {
  const refuse = (detail: string): undefined => {
    lookup.refusals.refuse(msg.type, from, 'assignment', detail);
    return undefined;
  };
  const run = lookup.run(msg.runId);
  if (!run) {
    return refuse(
      `function '${msg.functionId}': run '${msg.runId}' is not a running run of this coordinator`,
    );
  }
  const i = run.index.get(msg.functionId);
  if (i === undefined) return refuse(`function '${msg.functionId}' is not in run '${msg.runId}'`);
  if (run.hashes[i] !== msg.hash) {
    return refuse(`function '${msg.functionId}' has hash ${run.hashes[i]}, not ${msg.hash}`);
  }
  if (run.finished) return undefined;
  const winner = lookup.inflight.of(run, i).find((d) => d.peer === from && d.attempt === msg.attempt);
  if (winner) return { run, i, winner };
  const assigned = run.run
    .record(msg.functionId)
    .history.some((e) => e.peer === from && e.attempt === msg.attempt);
  if (!assigned) {
    return refuse(
      `function '${msg.functionId}' attempt ${msg.attempt} of run '${msg.runId}' was not assigned to peer '${from}'`,
    );
  }
  return { run, i, winner: undefined };
}
