/**
 * What an assigned function prints while it runs, sent to its coordinator as `task:output` — only when the
 * assignment asked (`TaskAssignMessage.streamOutput`: an older coordinator would refuse the message). The pool
 * hands pieces over as the worker streams them (worker/output-stream.ts); here they are gathered and sent at most
 * every SEND_INTERVAL_MS per function (the first piece at once), or at once past SEND_CHARS, so a function that
 * prints in a loop costs its coordinator a message per interval, not one per print. When the function ends, what
 * was not sent yet rides on its `task:result` / `task:failed` (`finish`), and nothing more is sent.
 *
 * The worker already kept the attempt within its budget; the coordinator checks again (run/output-book.ts).
 */
import type { MeshPort } from '../mesh/port.js';
import type { TaskAssignment } from '../protocol/messages.js';
import type { FunctionOutput, OutputLine } from '../run/output.js';

/** Least time between two `task:output` of one function, ms. */
export const SEND_INTERVAL_MS = 100;
/** Characters gathered that leave at once. */
export const SEND_CHARS = 16 * 1024;

/** What the stream needs of its task (an `AgentTask`, task.ts, which holds the stream: named here, not imported). */
export interface StreamedTask {
  readonly coordinator: string;
  readonly runId: string;
  readonly assignment: TaskAssignment;
}

export class TaskOutputStream {
  private lines: OutputLine[] = [];
  private chars = 0;
  private dropped = 0;
  private sentAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;

  constructor(
    private readonly task: StreamedTask,
    private readonly port: MeshPort,
  ) {}

  /** A piece the pool passed on (RunTaskOptions.onOutput). */
  add(piece: FunctionOutput): void {
    if (this.finished) return;
    for (const line of piece.lines) {
      this.lines.push(line);
      this.chars += line.text.length + 1;
    }
    this.dropped += piece.droppedLines;
    const wait = SEND_INTERVAL_MS - (Date.now() - this.sentAt);
    if (wait <= 0 || this.chars >= SEND_CHARS) {
      this.send();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
  }

  /** The function ended: what was not sent yet (for its outcome message), and no more `task:output`. */
  finish(): FunctionOutput | undefined {
    this.finished = true;
    this.cancelTimer();
    return this.take();
  }

  private send(): void {
    this.cancelTimer();
    const piece = this.take();
    if (!piece) return;
    this.sentAt = Date.now();
    const a = this.task.assignment;
    this.port.post(this.task.coordinator, {
      type: 'task:output',
      runId: this.task.runId,
      functionId: a.functionId,
      hash: a.hash,
      attempt: a.attempt,
      lines: piece.lines,
      droppedLines: piece.droppedLines,
    });
  }

  private take(): FunctionOutput | undefined {
    if (this.lines.length === 0 && this.dropped === 0) return undefined;
    const piece = { lines: this.lines, droppedLines: this.dropped };
    this.lines = [];
    this.chars = 0;
    this.dropped = 0;
    return piece;
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
