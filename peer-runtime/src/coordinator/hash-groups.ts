/**
 * Deduplication by content hash across runs: while one function executes a hash (the leader), identical
 * functions of any run that become ready (followers) wait for its result instead of running again. When the
 * leader ends, its followers take its result (success) or one of them leads next (failure, cancellation).
 */
import type { RunState } from './run-state.js';

export interface TaskRef {
  readonly run: RunState;
  readonly index: number;
}

export class HashGroups {
  private readonly executing = new Map<string, { leader: TaskRef; followers: TaskRef[] }>();

  /** True when an identical function already executes and `ref` now waits for it; false when `ref` leads. */
  join(hash: string, ref: TaskRef): boolean {
    const group = this.executing.get(hash);
    if (group) {
      group.followers.push(ref);
      return true;
    }
    this.executing.set(hash, { leader: ref, followers: [] });
    return false;
  }

  /** Ends the group function `i` of `run` leads; returns its followers (none when it led no group). */
  settle(run: RunState, i: number): readonly TaskRef[] {
    const hash = run.hashes[i]!;
    const group = this.executing.get(hash);
    if (!group || group.leader.run !== run || group.leader.index !== i) return [];
    this.executing.delete(hash);
    return group.followers;
  }

  /** Removes a cancelled run; returns the followers (of other runs) of groups it led, which must start over. */
  dropRun(run: RunState): TaskRef[] {
    const orphans: TaskRef[] = [];
    for (const [hash, group] of [...this.executing]) {
      if (group.leader.run === run) {
        this.executing.delete(hash);
        for (const f of group.followers) if (f.run !== run) orphans.push(f);
      } else {
        group.followers = group.followers.filter((f) => f.run !== run);
      }
    }
    return orphans;
  }
}
