/**
 * `RunController`: the `Run` object of run/types.ts, reusable by any scheduler (the local engine now, the mesh
 * coordinator later). It owns the records, the events, the result promises and cancellation; the scheduler only
 * decides what runs where and reports each change of state through the `mark*` methods.
 *
 * Rules it keeps so schedulers need not: a function ends once (later reports about it are ignored), events of one
 * function come in a sensible order (queued → started → succeeded | failed [→ retried → started …]), and
 * `done` resolves exactly once, after every function has ended and the scheduler's `beforeDone` hook settled.
 */
import { CancelledError, HandoutError, SkippedError, type TaskError } from '../errors.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { AttemptOutput } from './output.js';
import { OutputBook } from './output-book.js';
import type {
  AttemptPhases,
  AttemptRecord,
  FunctionRecord,
  FunctionVerification,
  Run,
  RunEventName,
  RunEvents,
  RunStatus,
  RunSummary,
} from './types.js';

export interface RunControllerOptions {
  /** Awaited after the last function ends and before `done` resolves (flush caches, close an owned pool). */
  readonly beforeDone?: () => Promise<void>;
  /**
   * Each function's position in `functions`, when the caller has that map already (the coordinator's DAG graph
   * has it): the run shares it rather than building one more entry per function. Must match `functions`.
   */
  readonly index?: ReadonlyMap<string, number>;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** An attempt record while it is open: `endedAt` and `error` are filled in once, when it closes. */
type OpenAttempt = { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };

const ENDED = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

export class RunController implements Run {
  readonly done: Promise<RunSummary>;
  private readonly recordList: FunctionRecord[];
  /** Position of each function's record in `recordList`. */
  private readonly byId: ReadonlyMap<string, number>;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly listeners = new TypedEmitter<RunEvents>();
  private readonly outputs = new OutputBook();
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();
  private readonly beforeDone: (() => Promise<void>) | undefined;
  private resolveDone!: (summary: RunSummary) => void;
  private ended = 0;
  private finishing = false;
  private cancelled = false;

  constructor(
    readonly id: string,
    functions: readonly { readonly id: string; readonly hash: string }[],
    options: RunControllerOptions = {},
  ) {
    this.beforeDone = options.beforeDone;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.recordList = functions.map((f) => ({
      id: f.id,
      hash: f.hash,
      status: 'pending',
      attempts: 0,
      history: [],
    }));
    if (options.index !== undefined) this.byId = options.index;
    else {
      const byId = new Map<string, number>();
      for (let k = 0; k < this.recordList.length; k++) byId.set(this.recordList[k]!.id, k);
      this.byId = byId;
    }
    // An empty run is done at once (after the caller had a chance to subscribe).
    if (this.recordList.length === 0) queueMicrotask(() => this.maybeFinish());
  }

  /** Aborted when the run is cancelled: schedulers stop dispatching and terminate what runs. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  // ---- the Run interface ----

  result(id: string): Promise<unknown> {
    const k = this.byId.get(id);
    const record = k === undefined ? undefined : this.recordList[k];
    if (!record) {
      return Promise.reject(new HandoutError(`run '${this.id}' has no function '${id}'`));
    }
    if (ENDED.has(record.status)) return this.settled(record);
    return new Promise((resolve, reject) => {
      let list = this.waiters.get(id);
      if (!list) {
        list = [];
        this.waiters.set(id, list);
      }
      list.push({ resolve, reject });
    });
  }

  on<E extends RunEventName>(event: E, listener: (payload: RunEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  records(): readonly FunctionRecord[] {
    return this.recordList;
  }

  cancel(reason = 'the run was cancelled'): void {
    if (this.cancelled || this.ended === this.recordList.length) return;
    this.cancelled = true;
    this.abort.abort(new CancelledError(reason));
  }

  // ---- the scheduler's side ----

  record(id: string): FunctionRecord {
    return this.recordList[this.indexOf(id)]!;
  }

  /** The position of function `id` in `records()` (and in the functions the run was made with). */
  indexOf(id: string): number {
    const k = this.byId.get(id);
    if (k === undefined) throw new HandoutError(`run '${this.id}' has no function '${id}'`);
    return k;
  }

  /** The position of function `id` in `records()`, or undefined when the run has no such function. */
  positionOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  isEnded(id: string): boolean {
    return ENDED.has(this.record(id).status);
  }

  markQueued(id: string): void {
    const r = this.record(id);
    if (r.status !== 'pending') return;
    r.status = 'queued';
    if (this.listeners.has('task:queued')) this.emit('task:queued', { id });
  }

  markStarted(id: string, attempt: number, peer: string, at = Date.now()): void {
    const r = this.record(id);
    if (ENDED.has(r.status)) return;
    r.status = 'running';
    r.attempts = attempt;
    r.peer = peer;
    r.startedAt = at;
    const open: OpenAttempt = { attempt, peer, startedAt: at };
    // Most functions have one attempt: an array made with it holds one slot, where a push onto the empty one
    // allocates 17 (~150 B per function of a big run).
    if (r.history.length === 0) r.history = [open];
    else r.history.push(open);
    if (this.listeners.has('task:started')) this.emit('task:started', { id, attempt, peer, at });
  }

  /** `cached`: nothing executed for this function (a store hit, or the result of an identical function). */
  markSucceeded(id: string, results: unknown, info: { cached: boolean; peer?: string; at?: number }): void {
    const r = this.record(id);
    if (ENDED.has(r.status)) return;
    const at = info.at ?? Date.now();
    r.status = 'succeeded';
    r.results = results;
    r.cached = info.cached;
    r.endedAt = at;
    if (info.peer !== undefined) r.peer = info.peer;
    if (r.startedAt === undefined) r.startedAt = at;
    this.closeAttempt(r, at, undefined);
    if (this.listeners.has('task:succeeded')) {
      this.emit('task:succeeded', { id, attempt: r.attempts, peer: r.peer ?? '', at, cached: info.cached });
    }
    this.end(r);
  }

  markFailed(id: string, error: TaskError, final: boolean, at = Date.now()): void {
    const r = this.record(id);
    if (ENDED.has(r.status)) return;
    r.error = error;
    this.closeAttempt(r, at, error.originalMessage);
    if (final) {
      r.status = 'failed';
      r.endedAt = at;
    } else {
      r.status = 'queued';
    }
    this.emit('task:failed', { id, attempt: error.attempt, peer: r.peer ?? '', at, error, final });
    if (final) this.end(r);
  }

  /**
   * An attempt of `id` printed `output` (all of it, or the next piece of it: pieces of one attempt and peer are
   * merged, within the budget, by run/output-book.ts). Kept on the record and emitted as `function:log`, even
   * after the function ended (a losing straggler copy's prints are still its prints). Call before the attempt's
   * outcome, so that listeners see what it printed before they see it end. `cut`: this piece took the attempt
   * past the budget (the caller may say so, naming who printed that much).
   */
  markOutput(id: string, output: AttemptOutput): { cut: boolean } {
    const r = this.record(id);
    if (output.lines.length === 0 && output.droppedLines === 0) return { cut: false };
    const { event, cut } = this.outputs.add(r, output);
    if (event && this.listeners.has('function:log')) this.emit('function:log', { id, ...event });
    return { cut };
  }

  /**
   * Where the time of `id`'s attempt `attempt` on `peer` went (AttemptPhases). Call before the attempt's outcome
   * (markSucceeded / markFailed), so that listeners of its end find them on its history entry.
   */
  markPhases(id: string, attempt: number, peer: string, phases: AttemptPhases): void {
    const history = this.record(id).history;
    for (let k = history.length - 1; k >= 0; k--) {
      const a = history[k] as OpenAttempt;
      if (a.attempt === attempt && a.peer === peer) {
        a.phases = phases;
        return;
      }
    }
  }

  /**
   * How `id`'s result was checked (result verification). Call before its outcome (markSucceeded / markFailed),
   * so that listeners of its end find it on the record.
   */
  markVerification(id: string, verification: FunctionVerification): void {
    this.record(id).verification = verification;
  }

  markRetried(id: string, attempt: number, delayMs: number): void {
    if (this.isEnded(id)) return;
    this.emit('task:retried', { id, attempt, delayMs });
  }

  markSkipped(id: string, because: string): void {
    const r = this.record(id);
    if (ENDED.has(r.status)) return;
    r.status = 'skipped';
    r.skippedBecause = because;
    r.endedAt = Date.now();
    this.emit('task:skipped', { id, because });
    this.end(r);
  }

  markCancelled(id: string): void {
    const r = this.record(id);
    if (ENDED.has(r.status)) return;
    r.status = 'cancelled';
    r.endedAt = Date.now();
    this.closeAttempt(r, r.endedAt, 'cancelled');
    this.end(r);
  }

  // ---- internals ----

  private closeAttempt(r: FunctionRecord, at: number, error: string | undefined): void {
    // The open attempt is ours (pushed by markStarted), so it is completed in place rather than copied.
    const last = r.history[r.history.length - 1] as OpenAttempt | undefined;
    if (last && last.endedAt === undefined) {
      last.endedAt = at;
      if (error !== undefined) last.error = error;
    }
  }

  private settled(r: FunctionRecord): Promise<unknown> {
    switch (r.status) {
      case 'succeeded':
        return Promise.resolve(r.results);
      case 'failed':
        return Promise.reject(r.error);
      case 'skipped':
        return Promise.reject(new SkippedError(r.id, r.skippedBecause ?? ''));
      default:
        return Promise.reject(
          new CancelledError(`function '${r.id}' was cancelled with its run '${this.id}'`),
        );
    }
  }

  private end(r: FunctionRecord): void {
    this.ended++;
    const list = this.waiters.get(r.id);
    if (list) {
      this.waiters.delete(r.id);
      const outcome = this.settled(r);
      for (const w of list) outcome.then(w.resolve, w.reject);
      // The settled promise itself is observed through the waiters; keep it from counting as unhandled.
      outcome.catch(() => {});
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.finishing || this.ended < this.recordList.length) return;
    this.finishing = true;
    const finish = (): void => {
      const status: RunStatus = this.cancelled
        ? 'cancelled'
        : this.recordList.every((r) => r.status === 'succeeded')
          ? 'succeeded'
          : 'failed';
      const summary: RunSummary = {
        runId: this.id,
        status,
        startedAt: this.startedAt,
        endedAt: Date.now(),
        functions: this.recordList,
      };
      this.emit('run:done', summary);
      this.resolveDone(summary);
    };
    const hook = this.beforeDone;
    if (!hook) {
      finish();
      return;
    }
    hook().then(finish, finish);
  }

  /** A throwing listener (a UI bug) must not derail the run it observes: the emitter catches it. */
  protected emit<E extends RunEventName>(event: E, payload: RunEvents[E]): void {
    this.listeners.emit(event, payload);
  }
}
