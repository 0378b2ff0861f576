/**
 * The coordinator's bookkeeping of one run: the DAG as index arrays (producers, dependents, inputs still awaited)
 * and, per function, the attempt counters the failure rules need. Functions are addressed by their index.
 */
import { type ArgInput, awaitedCounts, type DagGraph } from '../dag/graph.js';
import type { FunctionSpec } from '../dag/types.js';
import type { MeshRun, ResultLocation } from '../mesh/mesh-run.js';
import type { Allocator } from '../scheduling/types.js';
import type { VerifyPolicy } from './verify-quorum.js';

export class RunState {
  readonly n: number;
  readonly index: ReadonlyMap<string, number>;
  readonly hashes: readonly string[];
  /** Per function, per arg: producer index and output index (-1 = whole result). */
  readonly inputs: readonly (readonly ArgInput[])[];
  /** Distinct producers per function. */
  readonly producers: readonly (readonly number[])[];
  readonly dependents: readonly (readonly number[])[];
  /** Producers whose result has not arrived yet. */
  readonly remaining: Int32Array;
  /** The attempt number last dispatched (1-based; 0 = never). */
  readonly attempt: Int32Array;
  /** Failures that count against `retries` (threw, timeout, worker-died). */
  readonly failures: Int32Array;
  /** 1 once a function used its extra attempt after a worker death (failures.ts `mayRetry`). */
  readonly restarted: Uint8Array;
  /** Attempts lost without the function's fault (peer lost, input lost, handed back). */
  readonly losses: Int32Array;
  /** HEFT-style upward rank (estimate of the longest path to a sink), for strategies that order by priority. */
  readonly rank: Float64Array;
  /** Peers where a function failed: its retries prefer others. */
  readonly avoid = new Map<number, Set<string>>();
  /** Producers being recomputed from lineage → the consumers waiting for them. */
  readonly lineageWaiters = new Map<number, Set<number>>();
  /** Consumers waiting for recomputed inputs → how many they still wait for. */
  readonly waitingInputs = new Map<number, number>();
  // Typed explicitly: an inferred type would be emitted as NodeJS.Timeout, which needs @types/node in consumers.
  readonly timers: Set<ReturnType<typeof setTimeout>> = new Set();
  /** `result(id)` calls (local or remote) waiting for a lost final result to be recomputed, by function index. */
  readonly lostWaiters = new Map<
    number,
    { resolve(location: ResultLocation): void; reject(error: unknown): void }[]
  >();
  /** After the run finished: until when its lineage may be used to recompute lost results (epoch ms). */
  lineageUntil = Number.POSITIVE_INFINITY;
  finished = false;
  /**
   * Attempts per function made before a takeover (handover.ts: the submitter's account of a moved run), which
   * the numbering continues from; undefined for a fresh run.
   */
  carried: Int32Array | undefined;
  /** The run's result verification policy (verify.ts); undefined: results are believed. */
  verify: VerifyPolicy | undefined;
  /**
   * Exponentially weighted mean run time of this run's completed functions (ms on the peers that ran them): sizes
   * the pipelining allowance of its functions without an estimate. Per run, not per peer, so a peer that just ran
   * another DAG's quick functions is not offered a deep queue of this DAG's slow ones.
   */
  meanMs: number | undefined;

  observe(durationMs: number): void {
    this.meanMs = this.meanMs === undefined ? durationMs : this.meanMs * 0.75 + durationMs * 0.25;
  }

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
  ) {
    this.n = specs.length;
    this.index = graph.indexById;
    this.hashes = hashes;
    this.inputs = graph.inputs;
    this.producers = graph.producers;
    this.dependents = graph.dependents;
    this.remaining = awaitedCounts(graph);
    this.attempt = new Int32Array(this.n);
    this.failures = new Int32Array(this.n);
    this.losses = new Int32Array(this.n);
    this.restarted = new Uint8Array(this.n);
    this.rank = upwardRanks(specs, this.dependents, defaultEstimateMs);
  }

  id(i: number): string {
    return this.specs[i]!.id;
  }
}

/** rank(f) = estimate(f) + max rank of its dependents; computed sinks first by an explicit post-order. */
function upwardRanks(
  specs: readonly FunctionSpec[],
  dependents: readonly (readonly number[])[],
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
        for (const d of dependents[i]!) if (state[d] === 0) stack.push(d);
        continue;
      }
      stack.pop();
      if (state[i] === 2) continue;
      let best = 0;
      for (const d of dependents[i]!) best = Math.max(best, rank[d]!);
      rank[i] = (specs[i]!.cost?.estimateMs ?? defaultEstimateMs) + best;
      state[i] = 2;
    }
  }
  return rank;
}
