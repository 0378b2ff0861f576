/**
 * `task:output` on the coordinator: what functions print while they run on peers, relayed into their runs.
 *
 * Checked like a completion (outcomes.ts `match`): only for an attempt this coordinator assigned to the sender,
 * under that run and hash, so a member cannot print into someone else's run; anything else is refused (counted,
 * logged at most 20 times a second per sender by Refusals). Bounded like every output: the run keeps at most the
 * attempt's budget over all of its pieces and its outcome (run/output-book.ts), and past it only counts, so a
 * peer that streams without end costs the coordinator a validation per message and reaches neither the records
 * nor the submitter. The first piece past the budget is logged once per attempt, naming the function and peer.
 */
import type { MessageOf } from '../protocol/messages.js';
import type { Logger } from '../telemetry/logger.js';
import type { Outcomes } from './outcomes.js';

export class OutputRelay {
  /** Pieces refused past the budget, by peer (for tests and metrics: a flooding peer shows here). */
  private readonly cuts = new Map<string, number>();

  constructor(
    private readonly outcomes: Outcomes,
    private readonly log: Logger,
  ) {}

  receive(from: string, msg: MessageOf<'task:output'>): void {
    const match = this.outcomes.assignedAttempt(from, msg);
    if (match === undefined) return;
    const { run, i } = match;
    const id = run.id(i);
    const { cut } = run.run.markOutput(id, {
      attempt: msg.attempt,
      peer: from,
      lines: msg.lines,
      droppedLines: msg.droppedLines,
    });
    if (!cut) return;
    this.cuts.set(from, (this.cuts.get(from) ?? 0) + 1);
    this.log.warn(
      `function '${id}' attempt ${msg.attempt} on peer '${from}' printed past its output budget: later lines are counted, not kept`,
      { peer: from, run: run.run.id, function: id },
    );
  }

  /** Attempts cut at the budget so far, by peer. */
  cutsByPeer(): ReadonlyMap<string, number> {
    return this.cuts;
  }
}
