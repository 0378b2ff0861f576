/**
 * What functions print, shown by `handout run` on stderr as `[<function id>] <text>` (one prefix per line of a
 * multi-line print), with the attempt when it was not the first, and a note when the attempt printed more than
 * its budget kept. stderr, never stdout: stdout carries the outcome (`--json` stays one JSON document).
 *
 * Lines arrive once per attempt, with its outcome (run/output.ts), so a long function's prints appear when it
 * ends, not as it prints.
 */
import type { Run } from '@handout/peer-runtime';

/** Prints every `function:log` event of `run` with `write` (whole lines); returns the unsubscribe function. */
export function printFunctionOutput(run: Run, write: (text: string) => void): () => void {
  return run.on('function:log', (event) => {
    const prefix = event.attempt > 1 ? `[${event.id} #${event.attempt}]` : `[${event.id}]`;
    const out: string[] = [];
    for (const line of event.lines) {
      const level = line.level === 'warn' || line.level === 'error' ? `${line.level}: ` : '';
      for (const part of line.text.split('\n')) out.push(`${prefix} ${level}${part}\n`);
    }
    if (event.droppedLines > 0)
      out.push(`${prefix} … ${event.droppedLines} more line(s) not kept (64 KiB per attempt)\n`);
    write(out.join(''));
  });
}
