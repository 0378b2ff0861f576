/**
 * The coordinator's scheduling loop: ready functions → cache lookup and dedup by hash → fair ready queue →
 * allocator (in batches, per run) → `task:assign` batches to peers. Completions and failures come back through
 * `onResult` / `onFailed` (failures.ts decides what a failure means); lost peers through `peerLost`.
 *
 * A function whose inputs are gone (their only holders left or evicted them) is not failed: its producers are
 * recomputed from lineage first, and it waits for them (`lineage` below).
 */

import { row } from '../dag/graph.js';
import type { GrantIssuer } from '../mesh/fetch-grants.js';
import type { MeshPort } from '../mesh/port.js';
import type { TaskAssignment, InputLocation as WireInput } from '../protocol/messages.js';
import { capabilityUnmet, resourceRequestOf } from '../scheduling/needs.js';
import type { NetworkModel, PeerView, ReadyFunction, ResourceTracker } from '../scheduling/types.js';
import { addToOutbox, type InputLoc, type Outbox, sendOutbox, wireInput } from './assignments.js';
import { blockedPeers } from './blocked-peers.js';
import {
  type DispatchFollowers,
  type DispatchOutcomes,
  type DispatchVerification,
  UNATTACHED,
} from './dispatch-followers.js';
import type { ReadyQueue } from './fair-queue.js';
import { Inflight, inflightKey } from './inflight.js';
import type { Dispatch, PeerLoads } from './peer-loads.js';
import type { BlockedInput, Reachability } from './reachability.js';
import type { ReadyItem } from './ready-item.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import { UnsatisfiableWaits } from './waits.js';

export { ASSIGNMENT_TICKET_MS, addToOutbox, type InputLoc, type Outbox } from './assignments.js';
export type { DispatchFollowers, DispatchOutcomes, DispatchVerification } from './dispatch-followers.js';
export type { ReadyItem } from './ready-item.js';

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
  /** A scheduling pass left nothing ready: free slots may take queued work from busy peers (rebalance.ts). */
  readonly onQueueEmpty?: () => void;
  /** Mints the fetch tickets assignments carry; undefined (no mesh key): holders check none. */
  readonly grants?: GrantIssuer;
}

/** Largest number of functions taken from the queue in one allocation round. */
const MAX_BATCH = 4096;
/** Allocation rounds per scheduling pass before yielding to the event loop. */
const MAX_ROUNDS = 8;

export class Dispatcher {
  /** The dispatches in flight (inflight.ts): added here, ended by outcomes through its named methods. */
  readonly inflight = new Inflight();
  /** Functions no current peer can run, retried when the mesh changes and on a timer; by `inflightKey`. */
  private readonly parked = new Map<string, ReadyItem>();
  private readonly waits: UnsatisfiableWaits;
  private scheduled = false;
  private outcomes: DispatchOutcomes = UNATTACHED;
  private verification: DispatchVerification | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    this.waits = new UnsatisfiableWaits({
      timeoutMs: deps.unsatisfiableTimeoutMs,
      onWaiting: (run, i, unmet, message) => this.deps.onWaiting(run, i, unmet, message),
      onUnsatisfiable: (run, i, error) => this.outcomes.failFinal(run, i, error),
      park: (item) => this.parked.set(inflightKey(item.run, item.index), item),
    });
  }

  /** Attaches the parts that follow dispatching (once, right after they are made: coordinator.ts). */
  follow(followers: DispatchFollowers): void {
    this.outcomes = followers.outcomes;
    this.verification = followers.verification;
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

  /** Function `i` of `run` failed for good (or its recompute did): it no longer waits for a capable peer. */
  forgetParked(run: RunState, i: number): void {
    this.parked.delete(inflightKey(run, i));
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
    // A verified input is had where its quorum accepted it. With no accepted location yet, the directory's
    // holders count (`?? null`), as they always did here: an unchanged rule, kept when the verification hooks
    // moved to `follow`.
    const verification = this.verification;
    const verified = (verification?.covers(run, p) ? verification.acceptedLocation(hash) : null) ?? null;
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
      if (this.inflight.has(run, index)) continue;
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
      if (this.verification)
        for (const item of list) {
          const ex = this.verification.exclude(run, item.index);
          if (ex) excluded.set(item, ex);
        }
      const special = (i: ReadyItem) =>
        run.avoided(i.index) !== undefined || blocked.has(i) || excluded.has(i);
      const normal = list.filter((i) => !special(i));
      const avoiding = list.filter(special);
      const groups: { items: ReadyItem[]; views: PeerView[]; blocked?: Map<string, BlockedInput> }[] = [];
      if (normal.length > 0) groups.push({ items: normal, views: this.deps.loads.views() });
      for (const item of avoiding) {
        const avoid = run.avoided(item.index);
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
          if (this.verification) {
            const list = this.inflight.of(run, item.index);
            this.verification.placed(list[list.length - 1]!, messages);
          }
        }
      }
    }
    if (back.length > 0) this.deps.queue.putBack(back);
    this.send(messages);
    return placed;
  }

  private readyFunction(run: RunState, i: number, locs: readonly InputLoc[]): ReadyFunction {
    const producers = row(run.producers, i);
    const inputs = Array.from(producers, (p, k) => ({
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
    const producers = row(run.producers, i);
    const locs: InputLoc[] = [];
    const missing: number[] = [];
    for (const p of producers) {
      const loc = this.locate(run, p);
      if (loc) locs.push(loc);
      else missing.push(p);
    }
    if (missing.length === 0) return locs;
    for (const p of run.awaitRecomputed(i, missing)) {
      if (!this.inflight.has(run, p)) this.enqueue(run, p, true);
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
    const producers = row(run.producers, i);
    const inputs: WireInput[] = new Array(producers.length);
    for (let k = 0; k < producers.length; k++) {
      const p = producers[k]!;
      const loc = located?.[k] ?? this.locate(run, p);
      if (!loc) return undefined;
      inputs[k] = wireInput(run.id(p), loc, peer, this.deps.grants);
    }
    const spec = run.specs[i]!;
    const now = Date.now();
    const attempt = duplicate ? run.attemptOf(i) : run.nextAttempt(i);
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
    this.inflight.add(d);
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
    sendOutbox(this.deps.port, messages, (peer, error) =>
      this.outcomes.peerLost(peer, `unreachable: ${(error as Error).message}`),
    );
  }
}
