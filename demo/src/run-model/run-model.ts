/**
 * What every view of the dashboard and the showcase draws, built from one `Run`'s events: each function's state,
 * every attempt (a bar in the task stream, in the lane of the worker or peer that ran it, with its error), and
 * from those the running count per lane over time. It knows nothing of where the run executes: a local run and a
 * mesh run emit the same events. The views only read it, so they agree with each other by construction.
 *
 * Events are input from elsewhere (on a mesh, replayed from the coordinator), so the model takes them as they
 * come: an end without its start becomes a zero-length attempt, a start after its function ended is ignored,
 * a copy of a function (a straggler's duplicate) is its own attempt, and attempts still open when the run ends
 * (cancelled, or copies that lost) are closed at the run's end. Nothing is ever left counted as running.
 *
 * Given the peers' slot counts (`slotsOf`), finished attempts are placed when a slot was free (slot-clock.ts) and
 * the running count of a lane never exceeds its slots: dispatch is not start on a mesh (coordinators pipeline).
 */
import type { FunctionSpec, FunctionStatus, Run, RunSummary, TaskError } from '@handout/peer-runtime';
import { type DagShape, dagShape } from './dag-shape.js';
import { type Interval, runningSteps, type Step, sumSteps } from './running.js';
import { SlotClock } from './slot-clock.js';

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'superseded';

export interface AttemptError {
  readonly message: string;
  readonly reason: TaskError['reason'];
  readonly stack?: string;
}

/** One attempt of one function: a bar in the task stream. `end` is undefined while it runs. */
export interface TaskBar {
  readonly id: string;
  /** The worker (`local:3`) or peer id that ran it; '' when it failed before reaching any (no peer could). */
  readonly lane: string;
  readonly attempt: number;
  /** The `task:started` time: the real start locally, the dispatch on a mesh. */
  readonly dispatchedAt: number;
  /** When it started: the dispatch, or (lanes with known slots, once ended) when a slot of its peer was free. */
  start: number;
  end: number | undefined;
  outcome: AttemptOutcome;
  cached: boolean;
  error?: AttemptError;
  /** Its end arrived without a start (out of order): drawn as an instant at its end. */
  inferred?: boolean;
}

/** Counts of function states. `running` is what runs now (at most the slots); `dispatched` waits on a peer. */
export interface StatusCounts {
  readonly total: number;
  readonly pending: number;
  readonly queued: number;
  readonly running: number;
  readonly dispatched: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  readonly cached: number;
}

type Listener = () => void;

export interface RunModelOptions {
  /** Worker slots of the peer behind a lane, when known; see the file comment. Default: none. */
  readonly slotsOf?: (lane: string) => number | undefined;
}

const FINAL: ReadonlySet<FunctionStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

export class RunModel {
  readonly functions: readonly FunctionSpec[];
  readonly specs: ReadonlyMap<string, FunctionSpec>;
  readonly shape: DagShape;
  readonly status = new Map<string, FunctionStatus>();
  readonly bars: TaskBar[] = [];
  /** Lanes in natural order (`local:2` before `local:10`), so a lane keeps its row and colour. */
  readonly lanes: string[] = [];
  readonly startedAt: number;
  endedAt: number | undefined;
  summary: RunSummary | undefined;
  /** Why each skipped function was skipped (the failed input). */
  readonly skippedBecause = new Map<string, string>();
  /** Peers the coordinator quarantined during the run, with its reason (RunEvents['peer:quarantined']). */
  readonly quarantined = new Map<string, string>();
  /** Bumped on every change: views and caches compare it to skip work. */
  version = 0;
  private readonly attempts = new Map<string, TaskBar[]>();
  private readonly cachedIds = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly clocks = new Map<string, SlotClock>();
  private readonly openPerLane = new Map<string, number>();
  private stepsCache: { version: number; now: number; byLane: Map<string, Step[]> } | undefined;

  constructor(
    functions: readonly FunctionSpec[],
    readonly run: Run,
    /** The clock used for "now" while attempts are open; injectable for tests. Default Date.now. */
    private readonly now: () => number = Date.now,
    private readonly options: RunModelOptions = {},
  ) {
    this.functions = functions;
    this.specs = new Map(functions.map((f) => [f.id, f]));
    this.shape = dagShape(functions);
    this.startedAt = now();
    for (const f of functions) this.status.set(f.id, 'pending');
    this.unsubscribe.push(
      run.on('task:queued', ({ id }) => {
        if (this.status.get(id) === 'pending') this.set(id, 'queued');
      }),
      run.on('task:started', (e) => this.started(e.id, e.attempt, e.peer, e.at)),
      run.on('task:succeeded', (e) => this.succeeded(e.id, e.attempt, e.peer, e.at ?? this.now(), e.cached)),
      run.on('task:failed', (e) => this.failed(e.id, e.attempt, e.peer, e.at, e.error, e.final)),
      run.on('task:skipped', ({ id, because }) => {
        if (!this.known(id) || this.isFinal(id)) return;
        this.skippedBecause.set(id, because);
        this.set(id, 'skipped');
      }),
      run.on('peer:quarantined', ({ peer, reason }) => {
        this.quarantined.set(peer, reason);
        this.emit();
      }),
      run.on('run:done', (summary) => this.done(summary)),
    );
  }

  /** Call `listener` after every change; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every attempt of one function, in the order they began. */
  attemptsOf(id: string): readonly TaskBar[] {
    return this.attempts.get(id) ?? [];
  }

  statusOf(id: string): FunctionStatus {
    return this.status.get(id) ?? 'pending';
  }

  isCached(id: string): boolean {
    return this.cachedIds.has(id);
  }

  /** State counts over `ids` (default: the whole DAG). */
  counts(ids: Iterable<string> = this.status.keys()): StatusCounts {
    const c = {
      total: 0,
      pending: 0,
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    };
    let cached = 0;
    for (const id of ids) {
      const s = this.status.get(id);
      if (s === undefined) continue;
      c.total++;
      c[s]++;
      if (this.cachedIds.has(id)) cached++;
    }
    // Functions marked running beyond their peers' free slots were dispatched ahead and wait on the peer.
    const whole = c.total === this.status.size;
    const runningNow = whole ? this.runningTotal() : c.running;
    const running = Math.min(c.running, runningNow);
    return { ...c, running, dispatched: c.running - running, cached };
  }

  /** The right edge of the time axis: the end of the run, or now while it runs. */
  clockEnd(): number {
    return this.endedAt ?? this.now();
  }

  /** Functions running now in each lane (at most the lane's slots when known). */
  runningByLane(): ReadonlyMap<string, number> {
    const running = new Map<string, number>();
    for (const [lane, open] of this.openPerLane) {
      const slots = this.slots(lane);
      running.set(lane, slots === undefined ? open : Math.min(open, slots));
    }
    return running;
  }

  /** The running count of each lane over time, up to now (cached until the next change or clock move). */
  stepsByLane(): ReadonlyMap<string, readonly Step[]> {
    const now = this.clockEnd();
    const cache = this.stepsCache;
    if (cache && cache.version === this.version && cache.now === now) return cache.byLane;
    const intervals = new Map<string, Interval[]>();
    for (const bar of this.bars) {
      if (bar.lane === '') continue;
      const list = intervals.get(bar.lane) ?? intervals.set(bar.lane, []).get(bar.lane)!;
      list.push({ start: bar.start, end: bar.end ?? now });
    }
    const byLane = new Map<string, Step[]>();
    for (const lane of this.lanes)
      byLane.set(lane, runningSteps(intervals.get(lane) ?? [], this.slots(lane)));
    this.stepsCache = { version: this.version, now, byLane };
    return byLane;
  }

  /** The running count of the lanes `lanes` (default all) summed, over time. */
  totalSteps(lanes: readonly string[] = this.lanes): Step[] {
    const byLane = this.stepsByLane();
    return sumSteps(lanes.map((l) => byLane.get(l) ?? []));
  }

  /** When each lane's first attempt started (the end of its blank lead-in). */
  firstStartByLane(): ReadonlyMap<string, number> {
    const first = new Map<string, number>();
    for (const bar of this.bars) {
      const known = first.get(bar.lane);
      if (known === undefined || bar.start < known) first.set(bar.lane, bar.start);
    }
    return first;
  }

  /** The worker slots of a lane, when known. */
  slots(lane: string): number | undefined {
    const n = this.options.slotsOf?.(lane);
    return n !== undefined && Number.isFinite(n) && n >= 1 ? n : undefined;
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.listeners.clear();
  }

  // ---- events ----

  private started(id: string, attempt: number, peer: string, at: number): void {
    if (!this.known(id) || this.isFinal(id)) return;
    // The same attempt on the same peer is one bar: a repeat (or a start after its own end) adds nothing.
    if (this.attemptsOf(id).some((b) => b.attempt === attempt && b.lane === peer)) return;
    const bar: TaskBar = {
      id,
      lane: peer,
      attempt,
      dispatchedAt: at,
      start: at,
      end: undefined,
      outcome: 'running',
      cached: false,
    };
    this.add(bar);
    this.openPerLane.set(peer, (this.openPerLane.get(peer) ?? 0) + 1);
    this.set(id, 'running');
  }

  private succeeded(id: string, attempt: number, peer: string, at: number, cached: boolean): void {
    if (!this.known(id) || this.isFinal(id)) return;
    if (cached) this.cachedIds.add(id);
    const bar = this.openAttempt(id, attempt, peer);
    if (bar) this.close(bar, at, 'succeeded', cached);
    else {
      // A cache hit never started (it may have no peer: the result came from a store), or the start is late.
      const lane = peer || 'cache';
      this.add({
        id,
        lane,
        attempt,
        dispatchedAt: at,
        start: at,
        end: at,
        outcome: 'succeeded',
        cached,
        ...(!cached && { inferred: true }),
      });
    }
    this.closeOthers(id, at, 'superseded');
    this.set(id, 'succeeded');
  }

  private failed(
    id: string,
    attempt: number,
    peer: string,
    at: number,
    error: TaskError,
    final: boolean,
  ): void {
    if (!this.known(id) || this.isFinal(id)) return;
    const info: AttemptError = {
      message: error.originalMessage,
      reason: error.reason,
      ...(error.originalStack !== undefined && { stack: error.originalStack }),
    };
    const bar = this.openAttempt(id, attempt, peer);
    if (bar) {
      bar.error = info;
      this.close(bar, at, 'failed', false);
    } else {
      // Failed without a start we saw (no peer could take it, or the start is late): kept for the detail view.
      this.add({
        id,
        lane: peer,
        attempt,
        dispatchedAt: at,
        start: at,
        end: at,
        outcome: 'failed',
        cached: false,
        error: info,
        inferred: true,
      });
    }
    if (final) this.closeOthers(id, at, 'superseded');
    this.set(id, final ? 'failed' : 'queued');
  }

  private done(summary: RunSummary): void {
    this.summary = summary;
    this.endedAt = summary.endedAt;
    for (const r of summary.functions) {
      if (!this.known(r.id)) continue;
      this.status.set(r.id, r.status);
      if (r.cached) this.cachedIds.add(r.id);
      const end = Math.min(r.endedAt ?? summary.endedAt, summary.endedAt);
      this.closeOthers(r.id, end, r.status === 'cancelled' ? 'cancelled' : 'superseded');
    }
    this.emit();
  }

  // ---- bookkeeping ----

  private known(id: string): boolean {
    return this.status.has(id);
  }

  private isFinal(id: string): boolean {
    return FINAL.has(this.status.get(id)!);
  }

  private add(bar: TaskBar): void {
    this.bars.push(bar);
    const list = this.attempts.get(bar.id) ?? this.attempts.set(bar.id, []).get(bar.id)!;
    list.push(bar);
    if (bar.lane !== '') this.touchLane(bar.lane);
  }

  /** The open bar of this attempt: on this peer, else (a peer name the event left out) any open one of it. */
  private openAttempt(id: string, attempt: number, peer: string): TaskBar | undefined {
    const open = this.attemptsOf(id).filter((b) => b.end === undefined);
    return (
      open.find((b) => b.attempt === attempt && b.lane === peer) ??
      (peer === '' ? open.find((b) => b.attempt === attempt) : undefined)
    );
  }

  private closeOthers(id: string, at: number, outcome: 'superseded' | 'cancelled'): void {
    for (const bar of this.attemptsOf(id)) if (bar.end === undefined) this.close(bar, at, outcome, false);
  }

  private close(bar: TaskBar, at: number, outcome: AttemptOutcome, cached: boolean): void {
    const end = Math.max(at, bar.dispatchedAt);
    this.openPerLane.set(bar.lane, Math.max(0, (this.openPerLane.get(bar.lane) ?? 0) - 1));
    const slots = this.slots(bar.lane);
    if (slots !== undefined) {
      let clock = this.clocks.get(bar.lane);
      if (!clock || clock.slots !== slots) {
        clock = new SlotClock(slots);
        this.clocks.set(bar.lane, clock);
      }
      bar.start = clock.place(bar.dispatchedAt, end);
    }
    bar.end = end;
    bar.outcome = outcome;
    bar.cached = cached;
  }

  private runningTotal(): number {
    let sum = 0;
    for (const n of this.runningByLane().values()) sum += n;
    return sum;
  }

  private set(id: string, status: FunctionStatus): void {
    this.status.set(id, status);
    this.emit();
  }

  private touchLane(lane: string): void {
    if (this.lanes.includes(lane)) return;
    this.lanes.push(lane);
    this.lanes.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  private emit(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}
