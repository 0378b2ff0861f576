/**
 * How a peer agent answers its coordinators: `task:result` / `task:failed` for each task, once. Replies leave
 * with `post` (no promise per message); while draining, with `send`, so `drain()` can wait until the hand-backs
 * and last results reached their coordinators before the caller closes the transport.
 */
import type { MeshPort } from '../mesh/port.js';
import type {
  BatchableMessage,
  FetchedInput,
  TaskFailureReason,
  UnreachableHolder,
} from '../protocol/messages.js';
import type { FunctionOutput } from '../run/output.js';
import type { AttemptPhases } from '../run/types.js';
import type { AgentTask } from './task.js';

/** `output`: what the attempt printed, sent with its outcome (run/output.ts). */
export type ReplyBody =
  | {
      ok: true;
      size: number;
      durationMs: number;
      inline?: Uint8Array;
      digest?: Uint8Array;
      fetchedFrom?: readonly FetchedInput[];
      output?: FunctionOutput;
      phases?: AttemptPhases;
    }
  | {
      ok: false;
      reason: TaskFailureReason;
      message: string;
      stack?: string;
      missingInput?: string;
      fetchedFrom?: readonly FetchedInput[];
      unreachable?: readonly UnreachableHolder[];
      output?: FunctionOutput;
      phases?: AttemptPhases;
    };

/** What a peer has answered since it started (read by metrics: `handout_peer_functions_total`, docs/telemetry.md). */
export interface AgentReplyCounts {
  readonly succeeded: number;
  /** Failures by reason (`cancelled` includes work handed back). */
  readonly failed: Readonly<Partial<Record<TaskFailureReason, number>>>;
  /** Sum of the durations of the functions that succeeded, ms (as measured for `task:result.durationMs`). */
  readonly busyMs: number;
  /** Functions run in a worker to the end (whoever heard of it): with `adopted`, what a handover saved. */
  readonly executed: number;
  /**
   * Answers given without running anything for them: an assignment that joined an execution running for another
   * coordinator, or an adopted one answered from the store (agent/handover.ts).
   */
  readonly adopted: number;
}

export class AgentReplies {
  private succeeded = 0;
  private busyMs = 0;
  private executed = 0;
  private adopted = 0;
  private readonly failed: Partial<Record<TaskFailureReason, number>> = {};
  private draining = false;
  private readonly sending = new Set<Promise<void>>();
  private readonly drainedTo = new Set<string>();

  constructor(private readonly port: MeshPort) {}

  counts(): AgentReplyCounts {
    return {
      succeeded: this.succeeded,
      failed: { ...this.failed },
      busyMs: this.busyMs,
      executed: this.executed,
      adopted: this.adopted,
    };
  }

  /** A worker ran a function to its end. */
  noteExecuted(): void {
    this.executed++;
  }

  /** An answer comes from work done for another coordinator, or from the store (counted as `adopted`). */
  noteAdopted(): void {
    this.adopted++;
  }

  /** From now on, replies are tracked until delivered (see `delivered`). */
  startDraining(): void {
    this.draining = true;
  }

  /**
   * Answers `task` unless it was answered (or must not be) already, and the tasks that joined its execution
   * (agent/handover.ts) each with its own assignment's ids.
   */
  reply(task: AgentTask, body: ReplyBody): void {
    this.answer(task, body);
    if (task.followers === undefined) return;
    for (const f of task.followers) {
      if (!f.settled && body.ok) this.adopted++;
      this.answer(f, body);
    }
  }

  private answer(task: AgentTask, body: ReplyBody): void {
    if (task.settled) return;
    task.settled = true;
    if (body.ok) {
      this.succeeded++;
      this.busyMs += body.durationMs;
    } else this.failed[body.reason] = (this.failed[body.reason] ?? 0) + 1;
    const a = task.assignment;
    const head = { runId: task.runId, functionId: a.functionId, hash: a.hash, attempt: a.attempt };
    if (body.ok) {
      this.deliver(task.coordinator, {
        type: 'task:result',
        ...head,
        size: body.size,
        durationMs: body.durationMs,
        ...(body.inline && { inline: body.inline }),
        ...(body.fetchedFrom && { fetchedFrom: body.fetchedFrom }),
        ...(body.digest !== undefined && { digest: body.digest }),
        ...(body.output && { output: body.output }),
        ...(body.phases && { phases: body.phases }),
      });
      return;
    }
    this.deliver(task.coordinator, {
      type: 'task:failed',
      ...head,
      reason: body.reason,
      message: body.message,
      ...(body.stack !== undefined && { stack: body.stack }),
      ...(body.missingInput !== undefined && { missingInput: body.missingInput }),
      ...(body.fetchedFrom && { fetchedFrom: body.fetchedFrom }),
      ...(body.unreachable && { unreachable: body.unreachable }),
      ...(body.output && { output: body.output }),
      ...(body.phases && { phases: body.phases }),
    });
  }

  /**
   * Hands `task` back unrun or unfinished: `cancelled` that the coordinator did not ask for means "given back",
   * and it reschedules the function elsewhere without charging its retries.
   */
  giveBack(task: AgentTask, why: string): void {
    this.reply(task, {
      ok: false,
      reason: 'cancelled',
      message: `peer '${this.port.peerId}' handed it back: ${why}`,
    });
    task.cancel.abort();
  }

  /**
   * Waits (at most `timeoutMs`) until the replies sent while draining arrived. A send resolves when its bytes were
   * handed to the channel, not when they arrived; closing the channel then may drop them. A ping answered on the
   * same ordered channel proves everything sent before it arrived. Bounded: a channel that never drains must not
   * hold the peer's exit forever.
   */
  async delivered(timeoutMs: number): Promise<void> {
    if (this.sending.size === 0 && this.drainedTo.size === 0) return;
    const targets = [...this.drainedTo];
    this.drainedTo.clear();
    const arrived = Promise.all([...this.sending]).then(() =>
      Promise.all(
        targets.map((c) =>
          // A coordinator that does not answer the ping is gone: nothing more can reach it.
          c === this.port.peerId ? undefined : this.port.transport.ping(c).catch(() => undefined),
        ),
      ),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      arrived,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private deliver(coordinator: string, message: BatchableMessage): void {
    if (!this.draining) {
      this.port.post(coordinator, message);
      return;
    }
    this.drainedTo.add(coordinator);
    // A coordinator gone cannot be told; its runs are re-placed by whoever coordinates them next.
    const sent = this.port.send(coordinator, message).catch(() => undefined);
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
  }
}
