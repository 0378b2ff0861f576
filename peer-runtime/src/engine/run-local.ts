/**
 * `runLocal`: run a DAG on this machine with no server — the embedded default. It validates and hashes the DAG,
 * then starts every function as soon as its inputs are ready, on a worker pool. The `Run` it returns is a
 * `RunController` (engine/run.ts); this file only decides what runs when.
 *
 * Per function: queued when its inputs are ready → served from the result store if cached there (by content hash)
 * → else joined to an identical function (same hash) already running in this run → else executed, retried with
 * exponential backoff up to `retries`, and on a final failure everything downstream is skipped.
 *
 * Worker deaths (reason 'worker-died': out of memory, `process.exit`, a crash of the thread) are treated like a
 * supervisor treats a crashed child: the pool has already replaced the worker, and the function is restarted
 * once more than its `retries` allow — so with the default `retries: 0`, a function whose worker dies once still
 * gets a second attempt. That extra attempt is granted once per function (restart intensity 1): a function that
 * kills its worker again fails with reason 'worker-died', as a supervisor gives up on a crash loop. A death is
 * otherwise an attempt like any other (it counts against `retries`, with the same backoff). A throw and a timeout
 * (the function's own fault: its code ran too long) get no such extra attempt.
 */

import { createWorkerPool } from '#platform';
import { awaitedCounts, type DagGraph, dagGraph, releaseDependents } from '../dag/graph.js';
import { hashFunctionsByPosition } from '../dag/hash.js';
import { inputsFirstIndices } from '../dag/order.js';
import { type DagInput, type DagJSON, dagData, type FunctionSpec } from '../dag/types.js';
import { assertValidDag } from '../dag/validate.js';
import { type TaskError, taskErrorFor } from '../errors.js';
import { decodeValue, encodeValue } from '../protocol/value-codec.js';
import { HashGroups } from '../run/hash-groups.js';
import { backoffDelay, mayRetry } from '../run/retry-policy.js';
import { RunController } from '../run/run-controller.js';
import { skipDownstream } from '../run/skip-downstream.js';
import type { Run } from '../run/types.js';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore } from '../store/types.js';
import { argumentValue, poolTaskOf, specRunOptions } from '../worker/call.js';
import type { TaskOutcome, WorkerPool } from '../worker/pool.js';

export interface RunLocalOptions {
  /** Number of workers when the run creates its own pool. Default: the available cores. Ignored with `pool`. */
  readonly concurrency?: number;
  /**
   * Where results are looked up before running and written after (functions with `cache: false` skip both).
   * Default: a fresh in-memory store per run — pass one store to several runs to share results between them.
   */
  readonly store?: ResultStore;
  /** Aborting it cancels the run (like `run.cancel()`). Default: none. */
  readonly signal?: AbortSignal;
  /** An existing pool to run on; the run leaves it open. Default: a pool of `concurrency` workers, closed when the run ends. */
  readonly pool?: WorkerPool;
  /**
   * Run functions with the workers' full powers (`process`, `import('node:fs')`, ...) instead of in the sandbox
   * (docs/security.md). Module code references run either way: they are your own modules on your own machine.
   * Ignored with `pool` (the pool's own `trustCode` decides). Default false.
   */
  readonly trustCode?: boolean;
  /** Delay before the first retry; each further retry doubles it, up to `retryBackoffMaxMs`. Default 100. */
  readonly retryBackoffMs?: number;
  /** Longest delay between two attempts. Default 5000. */
  readonly retryBackoffMaxMs?: number;
  /** The run's id (in summaries and error messages). Default: a random UUID. */
  readonly runId?: string;
}

/** How the leader of a hash ended, for the identical functions that follow it (now or later in the run). */
type HashOutcome =
  | { readonly state: 'succeeded'; readonly value: unknown; readonly peer: string | undefined }
  | { readonly state: 'failed'; readonly error: TaskError };

/** Validate, hash and start running `dag`. Throws `DagValidationError` (synchronously) for an invalid DAG. */
export function runLocal(input: DagInput, options: RunLocalOptions = {}): Run {
  // A run's own pool is made first, so that its workers start (in their own threads, all at once) while this
  // thread validates and hashes the DAG: for a large DAG the start-up is then hidden entirely, and the first
  // worker ready takes the first batch. The cost: a DAG that fails validation, or whose every result is cached,
  // starts workers for nothing (they are terminated at once).
  const ownPool = options.pool ? undefined : makeOwnPool(options);
  try {
    const dag = dagData(input);
    assertValidDag(dag);
    const functions = isDagJSON(dag) ? dag.functions : dag;
    // One pass over ids for both hashing and scheduling: the scheduler reads producers by position from `deps`.
    const indexed = inputsFirstIndices(functions);
    return new LocalScheduler(
      functions,
      hashFunctionsByPosition(functions, indexed),
      dagGraph(functions, indexed),
      options,
      ownPool,
    ).run;
  } catch (error) {
    // Not awaited: the caller gets the validation error now; terminating workers cannot fail in a way to report.
    void ownPool?.close();
    throw error;
  }
}

function makeOwnPool(options: RunLocalOptions): WorkerPool {
  const { concurrency, trustCode } = options;
  return createWorkerPool({
    ...(concurrency !== undefined && { size: concurrency }),
    ...(trustCode === true && { trustCode }),
  });
}

function ignore(): void {}

function isDagJSON(dag: DagJSON | readonly FunctionSpec[]): dag is DagJSON {
  return !Array.isArray(dag);
}

class LocalScheduler {
  readonly run: RunController;
  private readonly n: number;
  private readonly hashes: string[];
  /** Per function, per arg: producer index and output index (-1 = the whole result). */
  /** `remaining` counts each function's distinct producers not done yet (dag/graph.ts). */
  private readonly graph: DagGraph;
  private readonly remaining: Int32Array;
  /** 1 once a function has had its extra attempt after a worker death (see the header). */
  private readonly restarted: Uint8Array;
  private readonly values: unknown[];
  /** Identical functions (same hash) waiting for the one running it (run/hash-groups.ts), by index. */
  private readonly groups = new HashGroups<number>();
  /** Hashes whose leader ended: an identical function that becomes ready later takes this outcome at once. */
  private readonly ended = new Map<string, HashOutcome>();
  private readonly store: ResultStore;
  /** Cache writes in flight; awaited before `done` so that a next run with the same store sees them. */
  private readonly puts: Promise<void>[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly backoffBase: number;
  private readonly backoffMax: number;
  private readonly detachSignal: () => void;

  constructor(
    private readonly specs: readonly FunctionSpec[],
    hashes: string[],
    graph: DagGraph,
    private readonly options: RunLocalOptions,
    /** The pool the run made for itself (closed when it ends); undefined with `options.pool`. */
    private readonly ownedPool: WorkerPool | undefined,
  ) {
    this.n = specs.length;
    this.hashes = hashes;
    this.graph = graph;
    this.remaining = awaitedCounts(graph);
    this.restarted = new Uint8Array(this.n);
    this.values = new Array(this.n);
    this.store = options.store ?? createMemoryStore();
    this.backoffBase = options.retryBackoffMs ?? 100;
    this.backoffMax = options.retryBackoffMaxMs ?? 5000;
    this.run = new RunController(
      options.runId ?? globalThis.crypto.randomUUID(),
      specs.map((spec, i) => ({ id: spec.id, hash: this.hashes[i]! })),
      { beforeDone: () => this.settle() },
    );
    this.run.signal.addEventListener('abort', () => this.onCancel(), { once: true });
    const external = options.signal;
    const onExternalAbort = (): void => this.run.cancel(`run '${this.run.id}' was aborted by its signal`);
    external?.addEventListener('abort', onExternalAbort, { once: true });
    this.detachSignal = () => external?.removeEventListener('abort', onExternalAbort);
    // Start after the caller has had the chance to subscribe to events.
    queueMicrotask(() => {
      if (external?.aborted) {
        onExternalAbort();
        return;
      }
      for (let i = 0; i < this.n; i++) if (this.remaining[i] === 0) this.ready(i);
    });
  }

  private get pool(): WorkerPool {
    return this.options.pool ?? this.ownedPool!;
  }

  private ready(i: number): void {
    if (this.run.isCancelled) return;
    const id = this.specs[i]!.id;
    this.run.markQueued(id);
    const hash = this.hashes[i]!;
    const ended = this.ended.get(hash);
    if (ended) {
      this.follow(i, ended);
      return;
    }
    if (this.groups.join(hash, i)) return;
    if (this.specs[i]!.cache === false) {
      this.execute(i, 1);
      return;
    }
    this.store.get(hash).then(
      (bytes) => {
        if (this.run.isEnded(id)) return;
        if (bytes === undefined) {
          this.execute(i, 1);
          return;
        }
        let value: unknown;
        try {
          value = decodeValue(bytes);
        } catch {
          this.execute(i, 1);
          return;
        }
        this.succeed(i, value, undefined, true);
      },
      // A store that fails to read is a cache miss, not a failed function.
      () => this.execute(i, 1),
    );
  }

  private execute(i: number, attempt: number): void {
    if (this.run.isCancelled) return;
    const spec = this.specs[i]!;
    const { deps, outputs } = this.graph;
    const first = deps.start[i]!;
    const args: unknown[] = new Array(deps.start[i + 1]! - first);
    for (let k = 0; k < args.length; k++) {
      args[k] = argumentValue(this.values[deps.targets[first + k]!], outputs[first + k]!);
    }
    const id = spec.id;
    let peer = '';
    this.pool
      .run(poolTaskOf(spec, args), {
        signal: this.run.signal,
        ...specRunOptions(spec),
        onStart: (worker, at) => {
          peer = `local:${worker}`;
          this.run.markStarted(id, attempt, peer, at);
        },
        // Live: what it prints reaches the record and `function:log` as it prints (the outcome's `output` is
        // these pieces again, so onOutcome does not add it).
        onOutput: (output) => {
          this.run.markOutput(id, { attempt, peer, ...output });
        },
      })
      .then((outcome) => this.onOutcome(i, attempt, outcome));
  }

  private onOutcome(i: number, attempt: number, outcome: TaskOutcome): void {
    const spec = this.specs[i]!;
    if (this.run.isEnded(spec.id)) return;
    if (outcome.worker !== undefined && outcome.startedAt !== undefined) {
      // Inputs are values in this process and the store write comes after (off the path): only the run counts.
      const runMs = Math.max(0, outcome.endedAt - outcome.startedAt);
      this.run.markPhases(spec.id, attempt, `local:${outcome.worker}`, { fetchMs: 0, runMs, storeMs: 0 });
    }
    if (outcome.ok) {
      this.succeed(i, outcome.value, `local:${outcome.worker}`, false, outcome.endedAt);
      return;
    }
    if (outcome.reason === 'cancelled') {
      this.run.markCancelled(spec.id);
      return;
    }
    const peer = outcome.worker === undefined ? undefined : `local:${outcome.worker}`;
    const error = taskErrorFor(spec.id, attempt, outcome.reason, outcome.message, outcome.stack, peer);
    // Every local failure is the function's own (no peers to lose), so its attempt number counts its failures.
    const decision = mayRetry(attempt, spec.retries ?? 0, this.restarted[i] === 1, outcome.reason);
    if (decision.retry && !this.run.isCancelled) {
      if (decision.restart) this.restarted[i] = 1;
      this.run.markFailed(spec.id, error, false, outcome.endedAt);
      const delayMs = backoffDelay(attempt, this.backoffBase, this.backoffMax);
      this.run.markRetried(spec.id, attempt + 1, delayMs);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.execute(i, attempt + 1);
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    this.run.markFailed(spec.id, error, true, outcome.endedAt);
    const hash = this.hashes[i]!;
    const ended: HashOutcome = { state: 'failed', error };
    this.ended.set(hash, ended);
    this.skipDownstream(i);
    for (const f of this.groups.settle(hash, (leader) => leader === i)) this.follow(f, ended);
  }

  private succeed(i: number, value: unknown, peer: string | undefined, cached: boolean, at?: number): void {
    const spec = this.specs[i]!;
    this.values[i] = value;
    this.run.markSucceeded(spec.id, value, { cached, peer, at });
    if (!cached && spec.cache !== false) this.remember(this.hashes[i]!, value);
    const hash = this.hashes[i]!;
    const ended: HashOutcome = { state: 'succeeded', value, peer };
    this.ended.set(hash, ended);
    this.release(i);
    for (const f of this.groups.settle(hash, (leader) => leader === i)) this.follow(f, ended);
  }

  /** End a function with the outcome of the identical function that ran for it. */
  private follow(i: number, ended: HashOutcome): void {
    const id = this.specs[i]!.id;
    if (ended.state === 'succeeded') {
      this.values[i] = ended.value;
      this.run.markSucceeded(id, ended.value, { cached: true, peer: ended.peer });
      this.release(i);
    } else {
      const e = ended.error;
      this.run.markFailed(
        id,
        taskErrorFor(id, e.attempt, e.reason, e.originalMessage, e.originalStack, e.peerId),
        true,
      );
      this.skipDownstream(i);
    }
  }

  private release(i: number): void {
    releaseDependents(this.graph, this.remaining, i, (d) => this.ready(d));
  }

  private skipDownstream(root: number): void {
    skipDownstream(this.graph, root, (d) => this.specs[d]!.id, this.run);
  }

  private remember(hash: string, value: unknown): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(value);
    } catch {
      return; // A value the codec cannot carry is simply not cached.
    }
    // A full or failing store loses a cache entry, never the run.
    this.puts.push(this.store.put(hash, bytes).catch(ignore));
  }

  private onCancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const spec of this.specs) this.run.markCancelled(spec.id);
  }

  /** Before `done`: let cache writes land (so a next run sees them), close an owned pool, drop listeners. */
  private async settle(): Promise<void> {
    this.detachSignal();
    await Promise.all(this.puts);
    await this.ownedPool?.close();
  }
}
