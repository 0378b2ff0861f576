/**
 * Importer for the Standard Task Graph format (Kasahara lab, Waseda University).
 *
 * Layout (whitespace-separated numbers):
 *   N [...]                             the number of real tasks (further numbers on this line are ignored:
 *                                       the "proto" files of the set add a processor count there)
 *   id  time  npred  pred...            one line per task, ids in order up to N+1; 0 and N+1 are the dummy
 *                                       entry/exit tasks (some "proto" files start at 1, with no entry task)
 *   # comment ...                       optional lines after the graph
 * Tasks become functions `t0`..`t{N+1}` running synthetic CPU work of `time * scaleMs` milliseconds, with their
 * predecessors as inputs (in the order listed). The dummy tasks stay, as zero-work functions, so the shape of
 * the graph is exactly the file's; a file without task 0 gets none.
 */

import { HandoutError } from '@handout/peer-runtime/dag';
import { Dag } from '../builder.js';
import { roundMs, syntheticFunction } from './synthetic-work.js';

export interface StgOptions {
  /** Milliseconds of CPU work per STG time unit. Default 1. */
  readonly scaleMs?: number;
}

/** Bad STG text; `line` is 1-based. */
export class StgParseError extends HandoutError {
  override name = 'StgParseError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`STG line ${line}: ${message}`);
  }
}

function isCommentOrBlank(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

function parseCount(token: string, line: number, what: string): number {
  if (!/^\d+$/.test(token)) throw new StgParseError(line, `${what} must be a whole number, got '${token}'`);
  return Number(token);
}

export function parseStg(text: string, options: StgOptions = {}): Dag {
  const scaleMs = options.scaleMs ?? 1;
  if (!(Number.isFinite(scaleMs) && scaleMs >= 0)) {
    throw new HandoutError(`scaleMs must be a finite number >= 0, got ${scaleMs}`);
  }
  const lines = text.split(/\r?\n/);
  let at = 0;
  // Leading comments and blank lines are tolerated; the first real line is the task count.
  while (at < lines.length && isCommentOrBlank(lines[at]!)) at++;
  if (at === lines.length) throw new StgParseError(1, 'empty file: expected the number of tasks');
  const header = lines[at]!.trim().split(/\s+/);
  const n = parseCount(header[0]!, at + 1, 'the number of tasks');
  at++;
  const last = n + 1;
  let first = 0;

  const functions = [];
  for (let expected = 0; expected <= last; expected++) {
    while (at < lines.length && lines[at]!.trim() === '') at++;
    if (at === lines.length || lines[at]!.trim().startsWith('#')) {
      throw new StgParseError(
        Math.min(at + 1, lines.length),
        `expected tasks up to ${last} (N = ${n} plus entry and exit), found ${functions.length} task lines`,
      );
    }
    const lineNo = at + 1;
    const tokens = lines[at]!.trim().split(/\s+/);
    at++;
    if (tokens.length < 3) {
      throw new StgParseError(lineNo, 'expected `task-id processing-time predecessor-count predecessors...`');
    }
    const id = parseCount(tokens[0]!, lineNo, 'the task id');
    if (functions.length === 0 && id === 1) first = expected = 1; // a file without the dummy entry task
    if (id !== expected) {
      throw new StgParseError(
        lineNo,
        `expected task ${expected}, got task ${id} (tasks must be listed in order)`,
      );
    }
    const time = parseCount(tokens[1]!, lineNo, 'the processing time');
    const predCount = parseCount(tokens[2]!, lineNo, 'the predecessor count');
    const preds = tokens.slice(3);
    if (preds.length !== predCount) {
      throw new StgParseError(
        lineNo,
        `task ${id} declares ${predCount} predecessors but lists ${preds.length}`,
      );
    }
    const args = preds.map((p) => {
      const pred = parseCount(p, lineNo, 'a predecessor id');
      if (pred < first || pred > last) {
        throw new StgParseError(
          lineNo,
          `task ${id} names predecessor ${pred}, but tasks run ${first}..${last}`,
        );
      }
      return `t${pred}`;
    });
    const ms = roundMs(time * scaleMs);
    functions.push(syntheticFunction({ task: `t${id}`, ms }, args, { cpu: 1, estimateMs: ms }));
  }
  for (; at < lines.length; at++) {
    if (!isCommentOrBlank(lines[at]!)) {
      throw new StgParseError(at + 1, 'unexpected content after the last task (comments start with #)');
    }
  }
  return Dag.fromFunctions(functions);
}
