/**
 * Coalesced broadcasts of member changes. A `peer:update` marks its peer dirty; every `intervalMs` each mesh with
 * dirty peers gets one `members:changed` carrying each of them once, with their latest info. So N updates cost
 * at most one broadcast per mesh per interval instead of N (2,000 updates from 100 sockets were 200,000 socket
 * writes, and starved `/health` and the pings of well-behaved peers).
 *
 * The per-mesh budget: at most `maxPerFlush` peers go out per mesh per interval, oldest change first; the rest
 * wait for the next interval. A peer already waiting keeps its place however often it updates, so a flooder
 * cannot push a well-behaved peer's change back.
 */
export interface MemberUpdateOptions {
  /** Time between broadcasts of one mesh's changes. */
  readonly intervalMs: number;
  /** Peers per mesh per broadcast. */
  readonly maxPerFlush: number;
}

export class MemberUpdates<Entry extends { readonly mesh: string }> {
  // Set: insertion order is the order of first change, and a peer is in it once.
  private readonly dirty = new Map<string, Set<Entry>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: MemberUpdateOptions,
    /** Sends one mesh's batch (the caller drops entries that have left meanwhile). */
    private readonly send: (mesh: string, entries: readonly Entry[]) => void,
  ) {}

  mark(entry: Entry): void {
    let set = this.dirty.get(entry.mesh);
    if (!set) {
      set = new Set();
      this.dirty.set(entry.mesh, set);
    }
    set.add(entry);
    this.timer ??= setTimeout(() => this.flush(), this.options.intervalMs);
  }

  /** Forgets a peer's pending change (it left: `peer:left` says the rest). */
  drop(entry: Entry): void {
    const set = this.dirty.get(entry.mesh);
    set?.delete(entry);
    if (set?.size === 0) this.dirty.delete(entry.mesh);
  }

  /** Peers waiting to be broadcast, over all meshes (a gauge in /metrics). */
  pending(): number {
    let n = 0;
    for (const set of this.dirty.values()) n += set.size;
    return n;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
  }

  private flush(): void {
    this.timer = undefined;
    for (const [mesh, set] of [...this.dirty]) {
      const batch: Entry[] = [];
      for (const entry of set) {
        if (batch.length >= this.options.maxPerFlush) break;
        batch.push(entry);
        set.delete(entry);
      }
      if (set.size === 0) this.dirty.delete(mesh);
      this.send(mesh, batch);
    }
    if (this.dirty.size > 0) this.timer = setTimeout(() => this.flush(), this.options.intervalMs);
  }
}
