/**
 * The coordinator's scheduling loop: ready functions → cache lookup and dedup by hash → fair ready queue →
 * allocator (in batches, per run) → `task:assign` batches to peers. Completions and failures come back through
 * `onResult` / `onFailed` (failures.ts decides what a failure means); lost peers through `peerLost`.
 *
 * A function whose inputs are gone (their only holders left or evicted them) is not failed: its producers are
 * recomputed from lineage first, and it waits for them (`lineage` below).
 */

import type { TaskError } from '../errors.js';
import type { GrantIssuer } from '../mesh/fetch-grants.js';
import type { MeshPort } from '../mesh/port.js';
import type { TaskAssignment, InputLocation as WireInput } from '../protocol/messages.js';
import { capabilityUnmet, resourceRequestOf } from '../scheduling/needs.js';
import type { NetworkModel, PeerView, ReadyFunction, ResourceTracker } from '../scheduling/types.js';
import { addToOutbox, type InputLoc, type Outbox, sendOutbox, wireInput } from './assignments.js';
import { blockedPeers } from './blocked-peers.js';
import type { ReadyQueue } from './fair-queue.js';
import type { Dispatch, PeerLoads } from './peer-loads.js';
import type { BlockedInput, Reachability } from './reachability.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import { UnsatisfiableWaits } from './waits.js';

export { ASSIGNMENT_TICKET_MS, addToOutbox, type InputLoc, type Outbox } from './assignments.js';

export interface ReadyItem {
  readonly runKey: string;
  readonly run: RunState;
  readonly index: number;
  readonly recompute: boolean;
}

export interface SchedulerDeps {
  readonly port: MeshPort;
  /** Peer pairs that could not open a link: a function is not placed where it cannot fetch an input. */
  readonly reachability: Reachability;
  readonly tracker: ResourceTracker;
  readonly directory: ResultDirectory;
  readonly queue: ReadyQueue<ReadyItem>;
  readonly loads: PeerLoads;
  readonly network: NetworkModel | undefined;
  readonly unsatisfiableTimeoutMs: number;
  /** A function waits for a peer that can run it (reason visible to users). */
  readonly onWaiting: (run: RunState, index: number, unmet: string, message: string) => void;
  /** A dispatch could not be sent: the peer is unreachable. */
  readonly onUnreachable: (peerId: string, error: unknown) => void;
  /** Final failure from the allocation side (unsatisfiable for too long). */
  readonly onUnsatisfiable: (run: RunState, index: number, error: TaskError) => void;
  /** A scheduling pass left nothing ready: free slots may take queued work from busy peers (rebalance.ts). */
  readonly onQueueEmpty?: () => void;
  /** Mints the fetch tickets assignments carry; undefined (no mesh key): holders check none. */
  readonly grants?: GrantIssuer;
  /** A function was placed (not a copy): verification adds its replicas to `outbox` (verify.ts). */
  readonly onPlaced?: (d: Dispatch, outbox: Outbox) => void;
  /** Peers a function must not be placed on, with no fallback (replicas go to distinct peers, verify.ts). */
  readonly exclude?: (run: RunState, index: number) => ReadonlySet<string> | undefined;
  /**
   * Where a verified run's input may be had: only the peers that agreed on it, never the directory's other
   * claimed holders (verify.ts `acceptedLocation`); undefined when no quorum accepted it; null for an
   * unverified function (the directory's holders count).
   */
  readonly verifiedLocation?: (run: RunState, producer: number) => InputLoc | undefined | null;
}

/** Largest number of functions taken from the queue in one allocation round. */
const MAX_BATCH = 4096;
/** Allocation rounds per scheduling pass before yielding to the event loop. */
const MAX_ROUNDS = 8;

export class Dispatcher {
  /** In flight, by `${runKey}\0${index}`: one dispatch, or two while a straggler has a duplicate. */
  readonly inflight = new Map<string, Dispatch[]>();
  /** Functions no current peer can run, retried when the mesh changes and on a timer. */
  readonly parked = new Map<string, ReadyItem>();
  private readonly waits: UnsatisfiableWaits;
  private scheduled = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.waits = new UnsatisfiableWaits({
      timeoutMs: deps.unsatisfiableTimeoutMs,
      onWaiting: (run, i, unmet, message) => this.deps.onWaiting(run, i, unmet, message),
      onUnsatisfiable: (run, i, error) => this.deps.onUnsatisfiable(run, i, error),
      park: (item) => this.parked.set(Dispatcher.key(item.run, item.index), item),
    });
  }

  static key(run: RunState, index: number): string {
    return `${run.key}\0${index}`;
  }

  enqueue(run: RunState, index: number, recompute: boolean): void {
    this.deps.queue.push({ runKey: run.key, run, index, recompute });
    this.kick();
  }

  /** Schedule a pass (coalesced: many completions arriving together cause one pass). */
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pass();
    });
  }

  /** Move parked (unsatisfiable) functions back into the queue: the mesh changed or their wait must be re-checked. */
  unpark(): void {
    if (this.parked.size === 0) return;
    const items = [...this.parked.values()];
    this.parked.clear();
    this.deps.queue.putBack(items);
    this.kick();
  }

  forgetRun(run: RunState): void {
    this.deps.queue.remove((item) => item.run === run);
    for (const [k, item] of this.parked) if (item.run === run) this.parked.delete(k);
    this.waits.forgetRun(run);
  }

  /** Where the result of producer `p` of `run` can be had now; undefined when nowhere. */
  locate(run: RunState, p: number): InputLoc | undefined {
    const hash = run.hashes[p]!;
    const loc = run.run.location(run.id(p));
    const verified = this.deps.verifiedLocation?.(run, p) ?? null;
    const entry =
      run.specs[p]!.cache === false
        ? undefined
        : verified === null
          ? this.deps.directory.get(hash)
          : verified;
    // Live holders, the run's own first, without duplicates (usually one or two: no Set needed).
    const holders: string[] = [];
    for (const h of loc?.holders ?? []) if (this.live(h) && !holders.includes(h)) holders.push(h);
    if (entry) for (const h of entry.holders) if (this.live(h) && !holders.includes(h)) holders.push(h);
    const inline = loc?.inline ?? entry?.inline;
    if (holders.length === 0 && inline === undefined) return undefined;
    const digest = loc?.digest ?? entry?.digest ?? this.deps.directory.digestOf(hash);
    return {
      hash,
      size: loc?.size || entry?.size || 0,
      holders,
      ...(inline && { inline }),
      ...(digest && { digest }),
    };
  }

  live(peerId: string): boolean {
    return this.deps.loads.get(peerId) !== undefined;
  }

  private pass(): void {
    this.placeReady();
    if (this.deps.queue.size === 0) this.deps.onQueueEmpty?.();
  }

  private placeReady(): void {
    const { queue, loads } = this.deps;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (queue.size === 0) return;
      const room = loads.room();
      if (room <= 0) {
        // No room because no peer could take anything (none connected, or every one paused): allocate anyway, so
        // the functions are reported waiting and fail after `unsatisfiableTimeoutMs` naming the missing peers,
        // instead of sitting in the queue with nothing to wake them.
        if (!loads.anyTakers()) this.placeBatch(queue.take(Math.min(queue.size, MAX_BATCH)));
        return;
      }
      const items = queue.take(Math.min(room, MAX_BATCH));
      const placed = this.placeBatch(items);
      if (placed === 0) return;
    }
    if (queue.size > 0) this.kick();
  }

  /** Places what it can; the rest goes back to the queue (busy) or is parked (unsatisfiable). Returns the number placed. */
  private placeBatch(items: readonly ReadyItem[]): number {
    const byRun = new Map<RunState, ReadyItem[]>();
    const back: ReadyItem[] = [];
    // Input locations are looked up once per item and reused by the allocator's view and the assignment.
    const located = new Map<ReadyItem, InputLoc[]>();
    for (const item of items) {
      const { run, index } = item;
      if (run.finished || run.run.isCancelled) continue;
      if (!item.recompute && run.run.isEnded(run.id(index))) continue;
      if (this.inflight.has(Dispatcher.key(run, index))) continue;
      const locs = this.inputsAvailable(run, index);
      if (!locs) continue;
      located.set(item, locs);
      let list = byRun.get(run);
      if (!list) {
        list = [];
        byRun.set(run, list);
      }
      list.push(item);
    }
    let placed = 0;
    const messages: Outbox = new Map();
    for (const [run, list] of byRun) {
      const blocked = blockedPeers(
        this.deps.reachability,
        () => this.deps.loads.views().map((v) => v.peerId),
        run,
        list,
        located,
      );
      const excluded = new Map<ReadyItem, ReadonlySet<string>>();
      if (this.deps.exclude)
        for (const item of list) {
          const ex = this.deps.exclude(run, item.index);
          if (ex) excluded.set(item, ex);
        }
      const special = (i: ReadyItem) => run.avoid.has(i.index) || blocked.has(i) || excluded.has(i);
      const normal = list.filter((i) => !special(i));
      const avoiding = list.filter(special);
      const groups: { items: ReadyItem[]; views: PeerView[]; blocked?: Map<string, BlockedInput> }[] = [];
      if (normal.length > 0) groups.push({ items: normal, views: this.deps.loads.views() });
      for (const item of avoiding) {
        const avoid = run.avoid.get(item.index);
        const cannot = blocked.get(item);
        const ex = excluded.get(item);
        // Never peers that cannot fetch its inputs, nor those verification excludes (replicas go to distinct
        // peers), nor peers that could not run it at all (a function pinned to the peer it failed on retries
        // there); the peers it failed on are only a preference.
        const req = resourceRequestOf(run.specs[item.index]!);
        const allowed = this.deps.loads.views(
          (v) => !cannot?.has(v.peerId) && !ex?.has(v.peerId) && capabilityUnmet(v, req) === undefined,
        );
        const others = avoid ? allowed.filter((v) => !avoid.has(v.peerId)) : allowed;
        // No capable peer at all: every peer, so the allocator's needs filter names what is unmet.
        const views =
          others.length > 0 ? others : allowed.length > 0 || cannot || ex ? allowed : this.deps.loads.views();
        groups.push({ items: [item], views, ...(cannot && { blocked: cannot }) });
      }
      for (const group of groups) {
        const byId = new Map(group.items.map((i) => [run.id(i.index), i]));
        const allocation = run.allocator.allocate({
          functions: group.items.map((i) => this.readyFunction(run, i.index, located.get(i)!)),
          peers: group.views,
          // A function's estimate sizes its queue room, else its run's measured mean (dispatcher.ts).
          queueAllowance: (peer, durationMs) =>
            this.deps.loads.queueAllowance(peer, durationMs ?? run.meanMs),
          ...(this.deps.network && { network: this.deps.network }),
        });
        const failed = group.blocked && this.waits.failUnreachable(run, allocation, byId, group.blocked);
        this.waits.observe(run, allocation, byId, back, failed);
        for (const a of allocation.assignments) {
          const item = byId.get(a.functionId);
          if (!item) continue;
          const assignment = this.dispatch(
            run,
            item.index,
            a.peerId,
            item.recompute,
            false,
            located.get(item),
          );
          if (!assignment) {
            back.push(item);
            continue;
          }
          addToOutbox(messages, a.peerId, run.key, assignment);
          placed++;
          if (this.deps.onPlaced) {
            const list = this.inflight.get(Dispatcher.key(run, item.index))!;
            this.deps.onPlaced(list[list.length - 1]!, messages);
          }
        }
      }
    }
    if (back.length > 0) this.deps.queue.putBack(back);
    this.send(messages);
    return placed;
  }

  private readyFunction(run: RunState, i: number, locs: readonly InputLoc[]): ReadyFunction {
    const producers = run.producers[i]!;
    const inputs = producers.map((p, k) => ({
      producerId: run.id(p),
      bytes: locs[k]!.size,
      holders: locs[k]!.holders,
    }));
    return { spec: run.specs[i]!, hash: run.hashes[i]!, inputs, priority: run.rank[i]! };
  }

  /**
   * Where each producer's result is (in `producers[i]` order); undefined when some input is nowhere: its
   * producers are recomputed and `i` waits for them.
   */
  private inputsAvailable(run: RunState, i: number): InputLoc[] | undefined {
    const producers = run.producers[i]!;
    const locs: InputLoc[] = [];
    const missing: number[] = [];
    for (const p of producers) {
      const loc = this.locate(run, p);
      if (loc) locs.push(loc);
      else missing.push(p);
    }
    if (missing.length === 0) return locs;
    run.waitingInputs.set(i, missing.length);
    for (const p of missing) {
      let waiters = run.lineageWaiters.get(p);
      const recomputing = waiters !== undefined;
      if (!waiters) {
        waiters = new Set();
        run.lineageWaiters.set(p, waiters);
      }
      waiters.add(i);
      if (!recomputing && !this.inflight.has(Dispatcher.key(run, p))) this.enqueue(run, p, true);
    }
    return undefined;
  }

  /** Records the attempt and builds the wire assignment; undefined when an input vanished meanwhile. */
  dispatch(
    run: RunState,
    i: number,
    peer: string,
    recompute: boolean,
    duplicate: boolean,
    located?: readonly InputLoc[],
  ): TaskAssignment | undefined {
    const producers = run.producers[i]!;
    const inputs: WireInput[] = new Array(producers.length);
    for (let k = 0; k < producers.length; k++) {
      const p = producers[k]!;
      const loc = located?.[k] ?? this.locate(run, p);
      if (!loc) return undefined;
      inputs[k] = wireInput(run.id(p), loc, peer, this.deps.grants);
    }
    const spec = run.specs[i]!;
    const now = Date.now();
    const attempt = duplicate ? run.attempt[i]! : ++run.attempt[i]!;
    const record = run.run.record(spec.id);
    let entry: Dispatch['entry'];
    if (recompute || duplicate) {
      entry = { attempt, peer, startedAt: now };
      record.history.push(entry);
      if (recompute) record.attempts = attempt;
      run.run.noteAttempt(spec.id, entry);
    } else {
      run.run.markStarted(spec.id, attempt, peer, now);
      entry = record.history[record.history.length - 1] as Dispatch['entry'];
    }
    const d: Dispatch = {
      run,
      index: i,
      attempt,
      peer,
      at: now,
      request: resourceRequestOf(spec),
      recompute,
      duplicate,
      entry,
    };
    const k = Dispatcher.key(run, i);
    const list = this.inflight.get(k);
    if (list) list.push(d);
    else this.inflight.set(k, [d]);
    this.deps.loads.ensure(peer).add(d);
    return { functionId: spec.id, hash: run.hashes[i]!, attempt, spec, inputs };
  }

  /**
   * Places a copy of in-flight `d` (a straggler's, or one queued behind busy slots) on one of `peers`, chosen by
   * its run's allocator so pins and needs hold; `accept` may still refuse the chosen peer. Returns the target.
   */
  copy(
    d: Dispatch,
    peers: readonly PeerView[],
    outbox: Outbox,
    accept?: (target: string) => boolean,
  ): string | undefined {
    const allocation = d.run.allocator.allocate({
      functions: [{ spec: d.run.specs[d.index]!, hash: d.run.hashes[d.index]! }],
      peers,
    });
    const target = allocation.assignments[0]?.peerId;
    if (target === undefined || (accept && !accept(target))) return undefined;
    const assignment = this.dispatch(d.run, d.index, target, false, true);
    if (!assignment) return undefined;
    addToOutbox(outbox, target, d.run.key, assignment);
    return target;
  }

  send(messages: ReadonlyMap<string, ReadonlyMap<string, TaskAssignment[]>>): void {
    sendOutbox(this.deps.port, messages, this.deps.onUnreachable);
  }
}
