/**
 * Live output: what a running call prints leaves its worker while the call runs, not only with the call's
 * outcome, so that a function that prints and then kills its worker (`process.exit` in a worker that trusts
 * code, an endless loop terminated by its timeout, running out of memory) still shows what it printed.
 *
 * Worker side ({@link ChunkPacer}, used by output-capture.ts): the first {@link EAGER_CHUNKS} prints of a call are
 * posted one by one, at once; after that, lines are gathered and posted when {@link PACE_MS} passed since the last
 * post or {@link CHUNK_CHARS} wait (checked at each print, and by a timer for a call that awaits). Why eager first:
 * a synchronous endless loop never lets a timer run, so anything held back when it starts looping would die with
 * the worker; a handful of prints, the common case, then costs a message each, and a call that prints in a loop
 * costs one message per PACE_MS. What is held back is also written, as it is printed, to a buffer the pool reads
 * when the worker dies or is terminated (output-spill.ts), so nothing is lost where SharedArrayBuffer exists
 * (Node; cross-origin-isolated pages). Elsewhere, at most the prints of the last PACE_MS (and at most
 * CHUNK_CHARS) of a call that printed more than EAGER_CHUNKS times and then killed its worker are lost.
 * `process.exit` itself is covered: the Node worker flushes in its `exit` hook (worker.node.ts).
 *
 * The chunks travel on the same port as the worker's comlink answers (postMessage is ordered per port), so every
 * chunk of a call reaches the pool before the batch answer that ends the call. They carry no `id` field: comlink
 * ignores such messages. With streaming, the batch answer carries no output: the pool assembles it from the
 * chunks ({@link StreamedOutput}), and passes each chunk on as it comes (`RunTaskOptions.onOutput`).
 */
import {
  type FunctionOutput,
  OUTPUT_LEVELS,
  OUTPUT_LIMIT_CHARS,
  OUTPUT_LIMIT_LINES,
  type OutputLine,
} from '../run/output.js';

/** Prints of a call posted one by one before pacing starts. */
export const EAGER_CHUNKS = 16;
/** Most time a printed line waits in the worker once pacing started, ms. */
export const PACE_MS = 25;
/** Characters that make a chunk leave at once. */
export const CHUNK_CHARS = 8 * 1024;

/** Worker → pool: lines call `call` of the current batch (function `fn`) printed since its last chunk. */
export interface WireOutputChunk {
  /** Marks the message as a chunk (and it has no `id`, so comlink's listener passes it by). */
  readonly handoutOutput: 1;
  readonly call: number;
  readonly fn: string;
  readonly lines: readonly OutputLine[];
  /** Lines dropped (past the budget) since the last chunk. */
  readonly droppedLines: number;
}

/** How a worker sends chunks, and (Node) how it learns that it is about to exit. */
export interface OutputStreamOptions {
  readonly post: (chunk: WireOutputChunk) => void;
  /** Registers `flush` to run when the worker exits on its own (`process.exit`). */
  readonly onExit?: (flush: () => void) => void;
  /** Where lines held back are kept for the pool to read if the worker dies (output-spill.ts). */
  readonly spill?: SharedArrayBuffer;
}

const LEVELS = new Set<string>(OUTPUT_LEVELS);

/**
 * A message from a worker that is an output chunk. Checked field by field: a worker that trusts code can post
 * anything on its port, and the pool must not take a stray message for a chunk, or a bad chunk for a good one.
 */
export function isOutputChunk(value: unknown): value is WireOutputChunk {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<WireOutputChunk>;
  if (c.handoutOutput !== 1 || !Number.isInteger(c.call) || typeof c.fn !== 'string') return false;
  if (!Number.isInteger(c.droppedLines) || (c.droppedLines as number) < 0) return false;
  if (!Array.isArray(c.lines)) return false;
  for (const line of c.lines as unknown[]) {
    const l = line as Partial<OutputLine> | null;
    if (typeof l !== 'object' || l === null) return false;
    if (typeof l.text !== 'string' || typeof l.at !== 'number' || !LEVELS.has(l.level as string))
      return false;
  }
  return true;
}

/** Decides, print by print, when a call's gathered lines leave the worker (the header says why so). */
export class ChunkPacer {
  private chunks = 0;
  private lastPostAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly flush: () => void) {}

  /** A call starts: it gets its own eager prints. */
  reset(): void {
    this.chunks = 0;
    this.cancelTimer();
  }

  /** Something was gathered (`pendingChars` characters wait): post now, or make sure a timer will. */
  gathered(pendingChars: number): void {
    const now = Date.now();
    if (this.chunks < EAGER_CHUNKS || now - this.lastPostAt >= PACE_MS || pendingChars >= CHUNK_CHARS) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, PACE_MS);
  }

  /** A chunk left (by the pacer's decision or the call's end). */
  posted(): void {
    this.chunks++;
    this.lastPostAt = Date.now();
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Pool side: what one call streamed so far, bounded by the same budget as the capture itself (a worker that
 * trusts code could post chunks of its own making). Its `output()` is the call's outcome output.
 */
export class StreamedOutput {
  private readonly lines: OutputLine[] = [];
  private used = 0;
  private dropped = 0;

  /** Adds `chunk`; returns what of it was kept (undefined when nothing: neither a line nor a dropped count). */
  add(chunk: WireOutputChunk): FunctionOutput | undefined {
    let kept: OutputLine[] | undefined;
    let dropped = chunk.droppedLines;
    for (const line of chunk.lines) {
      const cost = line.text.length + 1;
      if (this.used + cost > OUTPUT_LIMIT_CHARS || this.lines.length >= OUTPUT_LIMIT_LINES) {
        dropped++;
        continue;
      }
      this.used += cost;
      this.lines.push(line);
      if (kept) kept.push(line);
      else kept = [line];
    }
    this.dropped += dropped;
    if (kept === undefined && dropped === 0) return undefined;
    return { lines: kept ?? [], droppedLines: dropped };
  }

  output(): FunctionOutput | undefined {
    if (this.lines.length === 0 && this.dropped === 0) return undefined;
    return { lines: this.lines, droppedLines: this.dropped };
  }
}

/**
 * Pool side: a call run again from the start because its worker died with another call's fault prints again
 * what it printed before, and that was passed on already (RunTaskOptions.onOutput). Lines of the new run that
 * repeat those, in order from the first, are not passed on twice; from the first line that differs (code that
 * prints something else on its second run), or once past what was passed on, everything is. The outcome's
 * output stays the new run's whole output.
 */
export class RepeatFilter {
  /** Index of the next line of `before` a repeat would print; -1 once the new run went its own way. */
  private at = 0;
  private droppedLeft: number;

  /** `before`: what earlier runs of the call passed on. */
  constructor(readonly before: FunctionOutput) {
    this.droppedLeft = before.droppedLines;
  }

  /**
   * The filter for the next run of a call whose last run (with filter `previous`) printed `printed`. Runs that
   * print the same are prefixes of one another, so the longest one is what was passed on.
   */
  static forRerun(
    previous: RepeatFilter | undefined,
    printed: StreamedOutput | undefined,
  ): RepeatFilter | undefined {
    const before = printed?.output();
    if (!before || (previous && before.lines.length < previous.before.lines.length)) return previous;
    return new RepeatFilter(before);
  }

  /** What of `piece` (a piece of the new run, as kept) was not passed on before; undefined when nothing. */
  pass(piece: FunctionOutput): FunctionOutput | undefined {
    if (this.at < 0) return piece;
    const { lines } = piece;
    let i = 0;
    while (
      i < lines.length &&
      this.at < this.before.lines.length &&
      sameLine(lines[i]!, this.before.lines[this.at]!)
    ) {
      i++;
      this.at++;
    }
    if (i < lines.length) this.at = -1;
    let dropped = piece.droppedLines;
    if (this.at >= 0) {
      const repeated = Math.min(dropped, this.droppedLeft);
      this.droppedLeft -= repeated;
      dropped -= repeated;
    }
    if (i === lines.length && dropped === 0) return undefined;
    return { lines: i === 0 ? lines : lines.slice(i), droppedLines: dropped };
  }
}

const sameLine = (a: OutputLine, b: OutputLine): boolean => a.text === b.text && a.level === b.level;
