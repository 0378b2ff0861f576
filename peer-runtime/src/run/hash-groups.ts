/**
 * Deduplication by content hash, the rule both schedulers follow (engine/run-local.ts within one run,
 * coordinator/outcomes.ts across every run of a coordinator): while one function executes a hash (the leader),
 * identical functions that become ready (followers) wait for its result instead of running again. When the
 * leader ends, the scheduler hands its followers the result (success), or what its failure means for them: the
 * local engine fails them with it, the coordinator lets one of them lead next.
 *
 * `Ref` is however a scheduler names a function: an index in the local engine, a run and an index in the
 * coordinator.
 */
export class HashGroups<Ref> {
  private readonly executing = new Map<string, { leader: Ref; followers: Ref[] }>();

  /** True when an identical function already executes and `ref` now waits for it; false when `ref` leads. */
  join(hash: string, ref: Ref): boolean {
    const group = this.executing.get(hash);
    if (group) {
      group.followers.push(ref);
      return true;
    }
    this.executing.set(hash, { leader: ref, followers: [] });
    return false;
  }

  /**
   * Ends the group executing `hash` if `isLeader` says its leader is the function that ended; returns its
   * followers (none when that function led no group).
   */
  settle(hash: string, isLeader: (leader: Ref) => boolean): readonly Ref[] {
    const group = this.executing.get(hash);
    if (!group || !isLeader(group.leader)) return [];
    this.executing.delete(hash);
    return group.followers;
  }

  /**
   * Removes every function `gone` names (a cancelled run's); returns the followers, not gone themselves, of
   * groups a gone function led: they must start over.
   */
  drop(gone: (ref: Ref) => boolean): Ref[] {
    const orphans: Ref[] = [];
    for (const [hash, group] of [...this.executing]) {
      if (gone(group.leader)) {
        this.executing.delete(hash);
        for (const f of group.followers) if (!gone(f)) orphans.push(f);
      } else {
        group.followers = group.followers.filter((f) => !gone(f));
      }
    }
    return orphans;
  }
}
