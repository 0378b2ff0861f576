/** One assigned function on a peer agent, from acceptance until its execution ended and its reply left. */
import type { TaskAssignment } from '../protocol/messages.js';
import { Cancellation } from '../worker/cancellation.js';
import type { TaskOutputStream } from './output-stream.js';

export class AgentTask {
  readonly cancel = new Cancellation();
  /** A worker started it. */
  started = false;
  /** Where what it prints goes while it runs, when its coordinator asked for that (output-stream.ts). */
  output: TaskOutputStream | undefined;
  /** A reply was sent (or must not be: the coordinator cancelled it, or a newer attempt superseded it). */
  settled = false;
  /**
   * Set on a task that joined another's execution (same hash, another coordinator: agent/handover.ts): it runs
   * nothing itself and is answered with the leader's outcome.
   */
  leader: AgentTask | undefined;
  /** Tasks that joined this one's execution; they are answered with its outcome. */
  followers: AgentTask[] | undefined;
  /** Its execution ended (replied or not). */
  private done = false;
  /** Who waits for it to end (`drain`); made only then, not per task. */
  private waiters: (() => void)[] | undefined;

  constructor(
    readonly coordinator: string,
    /** The coordinator's key for the run (`runId` of task:* messages). */
    readonly runId: string,
    readonly assignment: TaskAssignment,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  /** Resolves when the task has ended. */
  whenEnded(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters ??= [];
      this.waiters.push(resolve);
    });
  }

  markEnded(): void {
    this.done = true;
    const waiters = this.waiters ?? [];
    this.waiters = undefined;
    for (const resolve of waiters) resolve();
  }
}

/**
 * The agent's key for a task. Structured as nested maps by the caller would cost a lookup per level on every
 * message; one string is cheaper, and NUL cannot occur in peer ids (ID_PATTERN) — function ids may hold any
 * character, which is why the function id comes last: two different triples can never make the same key.
 */
export const taskKey = (coordinator: string, runId: string, functionId: string): string =>
  `${coordinator}\0${runId.length}\0${runId}\0${functionId}`;
