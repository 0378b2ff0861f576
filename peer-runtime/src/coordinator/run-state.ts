/**
 * The coordinator's bookkeeping of one run: the DAG as index arrays (producers, dependents, inputs still awaited)
 * and, per function, the attempt counters the failure rules need. Functions are addressed by their index.
 */
import { type Adjacency, awaitedCounts, type DagGraph, releaseDependents, row } from '../dag/graph.js';
import type { FunctionSpec } from '../dag/types.js';
import type { MeshRun, ResultLocation } from '../mesh/mesh-run.js';
import type { Allocator } from '../scheduling/types.js';
import type { VerifyPolicy } from './verify-quorum.js';

/** A `result(id)` call (local or remote) waiting for a lost final result to be recomputed. */
export interface LostResultWaiter {
  resolve(location: ResultLocation): void;
  reject(error: unknown): void;
}

/**
 * The graph is public and read-only; what changes while the run goes on (attempt counters, peers to avoid, retry
 * timers, lineage recomputes, the end of the run) changes only through the methods below, each named for what
 * happened, so a reader finds every writer of a field by its method.
 */
export class RunState {
  readonly n: number;
  readonly index: ReadonlyMap<string, number>;
  readonly hashes: readonly string[];
  /** Distinct producers per function (read a function's with `row` of dag/graph.ts). */
  readonly producers: Adjacency;
  readonly dependents: Adjacency;
  /** HEFT-style upward rank (estimate of the longest path to a sink), for strategies that order by priority. */
  readonly rank: Float64Array;
  /**
   * Each function's result verification policy (verify.ts): its spec's `verify`, else the run's; undefined
   * where results are believed. Undefined as a whole when no function of the run is verified.
   */
  private readonly policies: readonly (VerifyPolicy | undefined)[] | undefined;

  /** Producers whose result has not arrived yet. */
  private readonly remaining: Int32Array;
  /** The attempt number last dispatched (1-based; 0 = never). */
  private readonly attempts: Int32Array;
  /** Failures that count against `retries` (threw, timeout, worker-died). */
  private readonly failures: Int32Array;
  /** 1 once a function used its extra attempt after a worker death (run/retry-policy.ts `mayRetry`). */
  private readonly restarted: Uint8Array;
  /** Attempts lost without the function's fault (peer lost, input lost, handed back). */
  private readonly losses: Int32Array;
  /** Attempts per function made before a takeover (carryAttempts); undefined for a fresh run. */
  private carried: Int32Array | undefined;
  /** Peers where a function failed: its retries prefer others. */
  private readonly avoid = new Map<number, Set<string>>();
  /** Producers being recomputed from lineage → the consumers waiting for them. */
  private readonly lineageWaiters = new Map<number, Set<number>>();
  /** Consumers waiting for recomputed inputs → how many they still wait for. */
  private readonly waitingInputs = new Map<number, number>();
  // Typed explicitly: an inferred type would be emitted as NodeJS.Timeout, which needs @types/node in consumers.
  private readonly timers: Set<ReturnType<typeof setTimeout>> = new Set();
  /** `result(id)` calls waiting for a lost final result to be recomputed, by function index. */
  private readonly lostWaiters = new Map<number, LostResultWaiter[]>();
  #lineageUntil = Number.POSITIVE_INFINITY;
  #finished = false;
  #meanMs: number | undefined;

  constructor(
    /** Unique on this coordinator; the `runId` agents see. */
    readonly key: string,
    readonly specs: readonly FunctionSpec[],
    readonly graph: DagGraph,
    /** Content hash by position. */
    hashes: readonly string[],
    readonly run: MeshRun,
    readonly allocator: Allocator,
    /** The remote submitter, or undefined for an in-process submission. */
    readonly submitter: string | undefined,
    defaultEstimateMs: number,
    policies?: readonly (VerifyPolicy | undefined)[],
  ) {
    this.n = specs.length;
    this.index = graph.indexById;
    this.hashes = hashes;
    this.producers = graph.producers;
    this.dependents = graph.dependents;
    this.remaining = awaitedCounts(graph);
    this.attempts = new Int32Array(this.n);
    this.failures = new Int32Array(this.n);
    this.losses = new Int32Array(this.n);
    this.restarted = new Uint8Array(this.n);
    this.rank = upwardRanks(specs, this.dependents, defaultEstimateMs);
    this.policies = policies;
  }

  id(i: number): string {
    return this.specs[i]!.id;
  }

  /** Function `i`'s verification policy; undefined: its result is believed (verify.ts `covers` says more). */
  verifyOf(i: number): VerifyPolicy | undefined {
    return this.policies?.[i];
  }

  // ---- readiness ----

  /** Whether function `i` awaits no producer's result. */
  isReady(i: number): boolean {
    return this.remaining[i] === 0;
  }

  /** Producer `i`'s result arrived: `ready` is called for each dependent that now has all its inputs. */
  release(i: number, ready: (dependent: number) => void): void {
    releaseDependents(this.graph, this.remaining, i, ready);
  }

  // ---- attempts ----

  /** The attempt number last dispatched for `i` (1-based; 0 = never). */
  /**
   * Continues function `i`'s attempt numbering from a lost coordinator's (handover.ts: the submitter's account of
   * a moved run), so its records read on instead of holding two attempts 1.
   */
  carryAttempts(i: number, attempts: number): void {
    if (this.carried === undefined) this.carried = new Int32Array(this.n);
    this.carried[i] = attempts;
    this.attempts[i] = attempts;
  }

  /** Whether this coordinator placed function `i` at least once (attempts carried over do not count). */
  placedHere(i: number): boolean {
    return this.attempts[i]! > (this.carried?.[i] ?? 0);
  }

  attemptOf(i: number): number {
    return this.attempts[i]!;
  }

  /** A new attempt of `i` is dispatched (not a copy of a running one): its number. */
  nextAttempt(i: number): number {
    return ++this.attempts[i]!;
  }

  /** `i` failed by its own fault (threw, timeout, worker died): the number of such failures so far. */
  countFailure(i: number): number {
    return ++this.failures[i]!;
  }

  /** An attempt of `i` was lost without its fault (peer lost, input lost, handed back): the count so far. */
  countLoss(i: number): number {
    return ++this.losses[i]!;
  }

  /** Whether `i` used its extra attempt after a worker death. */
  hasRestarted(i: number): boolean {
    return this.restarted[i] === 1;
  }

  markRestarted(i: number): void {
    this.restarted[i] = 1;
  }

  /** The peers `i` failed on, which its retries prefer to avoid; undefined when none. */
  avoided(i: number): ReadonlySet<string> | undefined {
    return this.avoid.get(i);
  }

  avoidPeer(i: number, peer: string): void {
    let avoid = this.avoid.get(i);
    if (!avoid) {
      avoid = new Set();
      this.avoid.set(i, avoid);
    }
    avoid.add(peer);
  }

  // ---- retry timers ----

  /** Runs `fn` after `ms` unless the run's timers are cleared first (it ends or is cancelled). */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- lineage: consumers waiting for recomputed inputs ----

  /**
   * Consumer `i` waits for the recomputed results of `missing` producers. Returns those no consumer was waiting
   * for yet: their recompute is not started (the caller starts it unless one is in flight).
   */
  awaitRecomputed(i: number, missing: readonly number[]): number[] {
    this.waitingInputs.set(i, missing.length);
    const start: number[] = [];
    for (const p of missing) {
      let waiters = this.lineageWaiters.get(p);
      if (!waiters) {
        waiters = new Set();
        this.lineageWaiters.set(p, waiters);
        start.push(p);
      }
      waiters.add(i);
    }
    return start;
  }

  /** Recomputed producer `p` arrived: the consumers that now have every input they waited for. */
  recomputeArrived(p: number): number[] {
    const waiters = this.lineageWaiters.get(p);
    if (!waiters) return [];
    this.lineageWaiters.delete(p);
    const ready: number[] = [];
    for (const c of waiters) {
      const left = (this.waitingInputs.get(c) ?? 1) - 1;
      if (left > 0) {
        this.waitingInputs.set(c, left);
        continue;
      }
      this.waitingInputs.delete(c);
      ready.push(c);
    }
    return ready;
  }

  /** The recompute of `p` will not happen: the consumers that waited for it, who wait no more. */
  abandonRecompute(p: number): number[] {
    const waiters = [...(this.lineageWaiters.get(p) ?? [])];
    this.lineageWaiters.delete(p);
    for (const c of waiters) this.waitingInputs.delete(c);
    return waiters;
  }

  // ---- lost final results ----

  /** A `result(id)` call waits for the recompute of `i`; returns true when it is the first to wait. */
  waitForLostResult(i: number, waiter: LostResultWaiter): boolean {
    let waiters = this.lostWaiters.get(i);
    if (!waiters) {
      waiters = [];
      this.lostWaiters.set(i, waiters);
    }
    waiters.push(waiter);
    return waiters.length === 1;
  }

  /** The recompute of `i` ended: those who waited for it, no longer waiting; undefined when none did. */
  takeLostResultWaiters(i: number): LostResultWaiter[] | undefined {
    const waiters = this.lostWaiters.get(i);
    this.lostWaiters.delete(i);
    return waiters;
  }

  get waitsForLostResults(): boolean {
    return this.lostWaiters.size > 0;
  }

  // ---- the end of the run ----

  get finished(): boolean {
    return this.#finished;
  }

  /** After the run finished: until when its lineage may be used to recompute lost results (epoch ms). */
  get lineageUntil(): number {
    return this.#lineageUntil;
  }

  /** The run ended. The first time, its lineage is kept until `keepUntil`; a revived run keeps its first term. */
  markFinished(keepUntil: number): void {
    if (!this.#finished) this.#lineageUntil = keepUntil;
    this.#finished = true;
  }

  /** A finished run taken back to recompute a lost result from its lineage (lost-results.ts). */
  reopen(): void {
    this.#finished = false;
  }

  // ---- timing ----

  /**
   * Exponentially weighted mean run time of this run's completed functions (ms on the peers that ran them): sizes
   * the pipelining allowance of its functions without an estimate. Per run, not per peer, so a peer that just ran
   * another DAG's quick functions is not offered a deep queue of this DAG's slow ones.
   */
  get meanMs(): number | undefined {
    return this.#meanMs;
  }

  observe(durationMs: number): void {
    this.#meanMs = this.#meanMs === undefined ? durationMs : this.#meanMs * 0.75 + durationMs * 0.25;
  }
}

/** rank(f) = estimate(f) + max rank of its dependents; computed sinks first by an explicit post-order. */
function upwardRanks(
  specs: readonly FunctionSpec[],
  dependents: Adjacency,
  defaultEstimateMs: number,
): Float64Array {
  const n = specs.length;
  const rank = new Float64Array(n);
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  for (let root = 0; root < n; root++) {
    if (state[root] === 2) continue;
    const stack: number[] = [root];
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      if (state[i] === 0) {
        state[i] = 1;
        for (const d of row(dependents, i)) if (state[d] === 0) stack.push(d);
        continue;
      }
      stack.pop();
      if (state[i] === 2) continue;
      let best = 0;
      for (const d of row(dependents, i)) best = Math.max(best, rank[d]!);
      rank[i] = (specs[i]!.cost?.estimateMs ?? defaultEstimateMs) + best;
      state[i] = 2;
    }
  }
  return rank;
}
