/**
 * What the coordinator has placed on each peer, and the views the allocator sees.
 *
 * Pipelining: a peer that must wait for the coordinator's next message after each completion idles for a round
 * trip per function — fatal with thousands of sub-millisecond functions. So each peer is offered room beyond its
 * slots: per slot, `max(1, ceil(pipelineMs / durationMs))` queued functions (at most `maxPipelinePerSlot`), where
 * the duration is the function's own estimate on that peer when it has one, else its run's measured mean
 * (run-state.ts), else unknown (then `UNMEASURED_PER_SLOT`). Tiny functions get deep queues (throughput); functions much longer than
 * a few round trips get one queued function per slot, because queueing more ahead of time commits work to a peer
 * before we know who frees up first and unbalances the tail (the parallel-efficiency benchmark).
 *
 * The allowance only decides whether a peer has room (`AllocationInput.queueAllowance`): the allocator's views
 * carry the real usage (running + queued), so strategies rank peers by real load. (Lowering `used` by the
 * allowance, as this once did, made a peer whose past functions were quick look idle, and a batch of slow
 * functions all went to it.)
 */
import type { FetchedInput } from '../protocol/messages.js';
import type { PeerView, ResourceRequest, ResourceTracker } from '../scheduling/types.js';
import type { RunState } from './run-state.js';

/** An attempt of a function sent to a peer and not yet answered. */
export interface Dispatch {
  readonly run: RunState;
  readonly index: number;
  readonly attempt: number;
  readonly peer: string;
  readonly at: number;
  readonly request: ResourceRequest;
  /** Re-running a function that already succeeded, because its result was lost and is needed again. */
  readonly recompute: boolean;
  /** A speculative copy of a straggler. */
  readonly duplicate: boolean;
  /** Its entry in the record's history, closed by the coordinator. */
  entry:
    | {
        attempt: number;
        peer: string;
        startedAt: number;
        endedAt?: number;
        error?: string;
        link?: string;
        fetchedFrom?: readonly FetchedInput[];
      }
    | undefined;
}

export interface PipelineOptions {
  /**
   * Queued work per slot to keep at a peer, in ms of function duration: a few round trips between coordinator
   * and peer, so a slot never waits for the next assignment. Default 20.
   */
  readonly pipelineMs?: number;
  /** Most queued functions per slot beyond the running one. Default 64. */
  readonly maxPipelinePerSlot?: number;
}

export class PeerLoad {
  cpu = 0;
  memoryMB = 0;
  resources: Record<string, number> = {};
  readonly dispatches = new Set<Dispatch>();
  /** Exponentially weighted mean duration of completed functions, ms. */
  meanMs: number | undefined;
  lastHeard = Date.now();

  get count(): number {
    return this.dispatches.size;
  }

  add(d: Dispatch): void {
    this.dispatches.add(d);
    this.apply(d.request, 1);
  }

  /**
   * When a slot last freed up here (something placed here ended). A peer runs its assignments in order, so a
   * function queued behind another started no earlier than this: the rebalancer's guess of its start.
   */
  lastFreedAt = 0;

  remove(d: Dispatch): boolean {
    if (!this.dispatches.delete(d)) return false;
    this.apply(d.request, -1);
    this.lastFreedAt = Date.now();
    return true;
  }

  observe(durationMs: number): void {
    this.meanMs = this.meanMs === undefined ? durationMs : this.meanMs * 0.75 + durationMs * 0.25;
  }

  private apply(req: ResourceRequest, sign: 1 | -1): void {
    const clamp = (v: number): number => (Math.abs(v) < 1e-9 ? 0 : v);
    this.cpu = clamp(this.cpu + sign * req.cpu);
    this.memoryMB = clamp(this.memoryMB + sign * req.memoryMB);
    // for-in, not Object.entries: this runs twice per function placed, and almost always finds nothing.
    for (const name in req.resources) {
      this.resources[name] = clamp((this.resources[name] ?? 0) + sign * req.resources[name]!);
    }
  }
}

/**
 * Queued functions per slot before anything was measured on a peer and the function has no estimate: small, so
 * slow functions are not committed deep to the first peers, and tiny ones are measured after one round trip.
 */
const UNMEASURED_PER_SLOT = 2;

export class PeerLoads {
  private readonly loads = new Map<string, PeerLoad>();
  private readonly pipelineMs: number;
  private readonly maxPerSlot: number;

  constructor(
    private readonly tracker: ResourceTracker,
    options: PipelineOptions = {},
  ) {
    this.pipelineMs = options.pipelineMs ?? 20;
    this.maxPerSlot = options.maxPipelinePerSlot ?? 64;
  }

  get(peerId: string): PeerLoad | undefined {
    return this.loads.get(peerId);
  }

  ensure(peerId: string): PeerLoad {
    let load = this.loads.get(peerId);
    if (!load) {
      load = new PeerLoad();
      this.loads.set(peerId, load);
    }
    return load;
  }

  /** Forget a peer; returns what was placed on it. */
  delete(peerId: string): Dispatch[] {
    const load = this.loads.get(peerId);
    this.loads.delete(peerId);
    return load ? [...load.dispatches] : [];
  }

  entries(): IterableIterator<[string, PeerLoad]> {
    return this.loads.entries();
  }

  /** Queued functions per slot allowed beyond the running one, for functions of `durationMs` (undefined: unknown). */
  allowancePerSlot(durationMs: number | undefined): number {
    if (durationMs === undefined) return Math.min(this.maxPerSlot, UNMEASURED_PER_SLOT);
    return Math.min(this.maxPerSlot, Math.max(1, Math.ceil(this.pipelineMs / Math.max(durationMs, 0.001))));
  }

  /** `AllocationInput.queueAllowance`: cpu beyond its cores that `peer` may take as queued work. */
  queueAllowance(peer: PeerView, durationMs: number | undefined): number {
    return this.loads.has(peer.peerId) ? peer.cores * this.allowancePerSlot(durationMs) : 0;
  }

  /** The tracker's peers with what is placed on them (running and queued): the real load. */
  views(filter?: (view: PeerView, load: PeerLoad) => boolean): PeerView[] {
    const out: PeerView[] = [];
    for (const p of this.tracker.peers()) {
      const load = this.loads.get(p.peerId);
      if (!load) continue;
      if (filter && !filter(p, load)) continue;
      out.push({
        ...p,
        used: { cpu: load.cpu, memoryMB: load.memoryMB, resources: { ...load.resources } },
        running: load.count,
      });
    }
    return out;
  }

  /** Whether some registered, unpaused peer exists (room may still be 0 because all of them are busy). */
  anyTakers(): boolean {
    for (const p of this.tracker.peers()) if (this.loads.has(p.peerId) && !p.paused) return true;
    return false;
  }

  /**
   * Roughly how many more single-cpu functions the mesh takes now (sizes the next batch; the allocator's
   * per-function room check is what limits placement). Uses each peer's measured mean, the best guess without
   * knowing which functions come next.
   */
  room(): number {
    let room = 0;
    for (const p of this.tracker.peers()) {
      const load = this.loads.get(p.peerId);
      if (!load || p.paused) continue;
      room += Math.max(0, Math.floor(p.cores * (1 + this.allowancePerSlot(load.meanMs)) - load.cpu));
    }
    return room;
  }
}
