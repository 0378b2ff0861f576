/**
 * What functions print, shown by `handout run` on stderr as `[<function id>] <text>` (one prefix per line of a
 * multi-line print), with the attempt when it was not the first, and a note when the attempt printed more than
 * its budget kept. stderr, never stdout: stdout carries the outcome (`--json` stays one JSON document).
 *
 * Lines arrive as functions print them (streamed from their workers, and on a mesh from the peers through the
 * coordinator: worker/output-stream.ts, agent/output-stream.ts), a piece at a time; a coordinator or peer of an
 * older version sends an attempt's lines once, with its outcome. The budget note comes once when an attempt is
 * cut, and again at most every 250 ms with the lines counted since (run/output-book.ts).
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
