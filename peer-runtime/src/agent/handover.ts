/**
 * Work handed over between coordinators, on the agent's side (coordinator failover, issue 13). A peer that was
 * running a function for a coordinator that is lost goes on running it (it keeps the result in its store either
 * way); when the coordinator that took the run over assigns the same function (same content hash) to this peer,
 * the new assignment joins the execution still running instead of starting another, and is answered with its
 * outcome. An assignment marked `adopt` whose result this peer already stored is answered from the store
 * (execute.ts), without running anything.
 *
 * Decisions:
 * - Joining is by hash: the hash covers the code, the extra arguments and the inputs' hashes, so the running
 *   execution computes exactly what the new assignment asks for. A `deterministic: false` function joins only
 *   when the coordinator marked the assignment `adopt` (a takeover of this very attempt): otherwise two
 *   assignments of it may want two draws.
 * - An execution ends when every task waiting for it is released: a cancel (or a newer attempt) of the task that
 *   started it does not abort it while a joined task still waits, and the other way round.
 */
import type { TaskAssignment } from '../protocol/messages.js';
import type { AgentTask } from './task.js';

/** The task running each hash on this peer (the one whose execution others may join). */
export class RunningByHash {
  private readonly leaders = new Map<string, AgentTask>();

  /** `task` starts an execution of its hash. */
  lead(task: AgentTask): void {
    this.leaders.set(task.assignment.hash, task);
  }

  /** `task`'s execution ended. */
  ended(task: AgentTask): void {
    const hash = task.assignment.hash;
    if (this.leaders.get(hash) === task) this.leaders.delete(hash);
  }

  /** The running task `a` may join, if any (see the module header). */
  joinable(a: TaskAssignment): AgentTask | undefined {
    const leader = this.leaders.get(a.hash);
    if (!leader || leader.ended || leader.cancel.aborted) return undefined;
    if (a.spec.deterministic === false && a.adopt !== true) return undefined;
    return leader;
  }
}

/** `follower` waits for `leader`'s execution and is answered with its outcome. */
export function join(leader: AgentTask, follower: AgentTask): void {
  follower.leader = leader;
  if (leader.followers) leader.followers.push(follower);
  else leader.followers = [follower];
}

/**
 * `task`'s coordinator no longer waits for it (a cancel, or a newer attempt replaced it): it gets no reply, and
 * the execution it waited for is aborted once nobody else waits for it either.
 */
export function release(task: AgentTask): void {
  task.settled = true;
  const leader = task.leader ?? task;
  if (task.leader?.followers) {
    const k = task.leader.followers.indexOf(task);
    if (k >= 0) task.leader.followers.splice(k, 1);
  }
  if (leader.settled && !(leader.followers ?? []).some((f) => !f.settled)) leader.cancel.abort();
}

/** The tasks an outcome of `task`'s execution answers: itself, then those that joined it. */
export function waitingOn(task: AgentTask): readonly AgentTask[] {
  return task.followers && task.followers.length > 0 ? [task, ...task.followers] : [task];
}
