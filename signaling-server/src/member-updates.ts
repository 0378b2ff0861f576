/**
 * Coalesced broadcasts of member changes. A join or a `peer:update` marks its peer; every `intervalMs` each mesh
 * with marked peers gets one `members:changed` carrying the joins and the changes, each peer once with its latest
 * info. So N joins cost at most one broadcast per mesh per interval instead of N: with every join broadcast at
 * once, N joins were N²/2 socket writes (a thousand peers, half a million), and 2,000 updates from 100 sockets
 * were 200,000 writes that starved `/health` and the pings of well-behaved peers.
 *
 * The per-mesh budget: at most `maxPerFlush` peers go out per mesh per interval, oldest mark first; the rest wait
 * for the next interval. A peer already waiting keeps its place however often it updates, so a flooder cannot
 * push a well-behaved peer's change back. With `coalesceJoins: false`, joins go out at once as `peer:joined`
 * (one broadcast each, as before protocol 3).
 */
export interface MemberUpdateOptions {
  /** Time between broadcasts of one mesh's changes. */
  readonly intervalMs: number;
  /** Peers per mesh per broadcast. */
  readonly maxPerFlush: number;
  /** Joins ride the coalesced broadcast (true) or go out at once, each on its own (false). */
  readonly coalesceJoins: boolean;
}

interface Marked<Entry> {
  entry: Entry;
  /** Not yet announced at all: goes out in `joined`, not `updated`. */
  readonly joined: boolean;
}

export interface MemberBatch<Entry> {
  readonly joined: readonly Entry[];
  readonly updated: readonly Entry[];
}

export class MemberUpdates<Entry extends { readonly mesh: string; readonly peerId: string }> {
  // Map: insertion order is the order of first mark, and a peer is in it once (keyed by id within its mesh).
  private readonly dirty = new Map<string, Map<string, Marked<Entry>>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: MemberUpdateOptions,
    /** Sends one mesh's batch (the caller drops updates of entries no longer live). */
    private readonly send: (mesh: string, batch: MemberBatch<Entry>) => void,
  ) {}

  /** A peer joined: announced with the next batch (or at once without `coalesceJoins`). */
  markJoined(entry: Entry): void {
    if (this.options.coalesceJoins) this.set(entry, true);
    else this.send(entry.mesh, { joined: [entry], updated: [] });
  }

  /** A peer changed (a join not yet announced stays a join, with the latest info). */
  mark(entry: Entry): void {
    this.set(entry, false);
  }

  /** Sends `entry`'s mesh batch now if `entry`'s join is still waiting in it (before its first signal goes out). */
  flushJoin(entry: Entry): void {
    const set = this.dirty.get(entry.mesh);
    if (set?.get(entry.peerId)?.joined) this.flushMesh(entry.mesh, set, Number.POSITIVE_INFINITY);
  }

  /** Forgets a peer's pending mark (it left: `peer:left` says the rest). */
  dropPeer(mesh: string, peerId: string): void {
    const set = this.dirty.get(mesh);
    set?.delete(peerId);
    if (set?.size === 0) this.dirty.delete(mesh);
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

  private set(entry: Entry, joined: boolean): void {
    let set = this.dirty.get(entry.mesh);
    if (!set) {
      set = new Map();
      this.dirty.set(entry.mesh, set);
    }
    const had = set.get(entry.peerId);
    if (had) had.entry = entry;
    else set.set(entry.peerId, { entry, joined });
    this.timer ??= setTimeout(() => this.flush(), this.options.intervalMs);
  }

  private flush(): void {
    this.timer = undefined;
    for (const [mesh, set] of [...this.dirty]) this.flushMesh(mesh, set, this.options.maxPerFlush);
    if (this.dirty.size > 0) this.timer = setTimeout(() => this.flush(), this.options.intervalMs);
  }

  private flushMesh(mesh: string, set: Map<string, Marked<Entry>>, budget: number): void {
    const joined: Entry[] = [];
    const updated: Entry[] = [];
    for (const [peerId, marked] of set) {
      if (joined.length + updated.length >= budget) break;
      (marked.joined ? joined : updated).push(marked.entry);
      set.delete(peerId);
    }
    if (set.size === 0) this.dirty.delete(mesh);
    this.send(mesh, { joined, updated });
  }
}
