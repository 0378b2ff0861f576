/**
 * A run's bookkeeping of what its functions printed (run/output.ts), as it arrives in pieces: streamed chunks
 * while an attempt runs (worker/output-stream.ts, and on a mesh `task:output` messages), then the rest with the
 * attempt's outcome. Pieces of one attempt (attempt number and peer) are merged into one entry of the record's
 * `logs`, and the budget holds over their sum, whoever sent them: a coordinator cuts a peer that streams past
 * it, and a submitter a coordinator that forwards past it.
 *
 * What is emitted (`function:log`) is the kept part of each piece. Past the budget only counts remain; those are
 * emitted once at the cut, then at most every DROP_EVENT_MS with what was counted meanwhile (and with the next
 * kept lines, for an attempt that printed nothing new), so that a flood of pieces past the budget is not
 * forwarded piece by piece to every listener and over the wire to the submitter. Counts still waiting when the
 * attempt's last piece came are in its record, not in an event.
 */
import { type AttemptOutput, OUTPUT_LIMIT_CHARS, OUTPUT_LIMIT_LINES, type OutputLine } from './output.js';
import type { FunctionRecord } from './types.js';

/** Least time between two events that only count dropped lines of one attempt, ms. */
export const DROP_EVENT_MS = 250;

/** One attempt's entry of `FunctionRecord.logs`, grown in place. */
interface Entry {
  readonly attempt: number;
  readonly peer: string;
  readonly lines: OutputLine[];
  droppedLines: number;
}

interface Budget {
  readonly entry: Entry;
  used: number;
  /** Dropped lines not yet told in an event. */
  untold: number;
  /** When dropped lines were last told; 0 = never (the cut is told at once). */
  toldAt: number;
}

export class OutputBook {
  private readonly byRecord = new WeakMap<FunctionRecord, Map<string, Budget>>();

  /**
   * Adds `piece` to `record`'s logs; returns what to emit (the kept lines and the dropped count to tell), or
   * undefined when there is nothing to tell now. `cut` is true the first time this attempt passes the budget.
   */
  add(record: FunctionRecord, piece: AttemptOutput): { event?: AttemptOutput; cut: boolean } {
    let budgets = this.byRecord.get(record);
    if (!budgets) {
      budgets = new Map();
      this.byRecord.set(record, budgets);
    }
    const key = `${piece.attempt}\0${piece.peer}`;
    let b = budgets.get(key);
    if (!b) {
      const entry: Entry = { attempt: piece.attempt, peer: piece.peer, lines: [], droppedLines: 0 };
      b = { entry, used: 0, untold: 0, toldAt: 0 };
      budgets.set(key, b);
      if (record.logs) record.logs.push(entry);
      else record.logs = [entry];
    }
    const kept: OutputLine[] = [];
    let dropped = piece.droppedLines;
    for (const line of piece.lines) {
      const cost = line.text.length + 1;
      if (b.used + cost > OUTPUT_LIMIT_CHARS || b.entry.lines.length >= OUTPUT_LIMIT_LINES) {
        dropped++;
        continue;
      }
      b.used += cost;
      b.entry.lines.push(line);
      kept.push(line);
    }
    const cut = dropped > 0 && b.entry.droppedLines === 0;
    b.entry.droppedLines += dropped;
    b.untold += dropped;
    const now = Date.now();
    if (kept.length === 0 && (b.untold === 0 || (b.toldAt !== 0 && now - b.toldAt < DROP_EVENT_MS))) {
      return { cut };
    }
    const event = { attempt: piece.attempt, peer: piece.peer, lines: kept, droppedLines: b.untold };
    if (b.untold > 0) b.toldAt = now;
    b.untold = 0;
    return { event, cut };
  }
}
