/**
 * What the dashboard's views draw, built from one `Run`'s events: each function's state, the bars of the task
 * stream (one per attempt, in the lane of the worker or peer that ran it) and the running count per lane over
 * time. It knows nothing of where the run executes: a local run and a mesh run emit the same events.
 *
 * One difference it can correct for: on a mesh, `task:started` is the coordinator's dispatch, and coordinators
 * pipeline (a peer gets more functions than it has slots, so the next one is already there when a worker frees
 * up). Given the peers' slot counts (`slotsOf`), a finished bar starts when a slot of its peer was free — the
 * later of its dispatch and the earliest end of the functions before it — as a peer with that many workers runs
 * them in order. Bars still open are drawn from their dispatch.
 */
import type { FunctionSpec, FunctionStatus, Run, RunSummary } from '@handout/peer-runtime';

/** One attempt of one function, as a bar in the task stream. `end` is undefined while it runs. */
export interface TaskBar {
  readonly id: string;
  readonly lane: string;
  readonly attempt: number;
  /** When it started: the dispatch, or (slot-aware lanes, once ended) when a slot of its peer was free. */
  start: number;
  end: number | undefined;
  outcome: 'running' | 'succeeded' | 'failed';
  cached: boolean;
}

/** A function started (+1) or ended (-1) in a lane at `at`: the steps of the running count per lane. */
export interface LoadSample {
  readonly at: number;
  readonly lane: string;
  readonly delta: 1 | -1;
}

export interface RunCounts {
  readonly total: number;
  readonly pending: number;
  readonly queued: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  readonly cached: number;
}

type Listener = () => void;

export interface RunModelOptions {
  /** Worker slots of the peer behind a lane, when known (mesh runs); see the class comment. Default: none. */
  readonly slotsOf?: (lane: string) => number | undefined;
}

export class RunModel {
  readonly functions: readonly FunctionSpec[];
  readonly status = new Map<string, FunctionStatus>();
  readonly bars: TaskBar[] = [];
  readonly load: LoadSample[] = [];
  /** Lanes in natural order (`local:2` before `local:10`), so a lane keeps its row and colour. */
  readonly lanes: string[] = [];
  readonly startedAt: number;
  endedAt: number | undefined;
  summary: RunSummary | undefined;
  private readonly open = new Map<string, TaskBar>();
  private readonly runningPerLane = new Map<string, number>();
  private readonly cachedIds = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private readonly unsubscribe: Array<() => void> = [];
  /** Per slot-aware lane: when each slot is free again (see the class comment). */
  private readonly slotFree = new Map<string, number[]>();
  private readonly openPerLane = new Map<string, number>();

  constructor(
    functions: readonly FunctionSpec[],
    readonly run: Run,
    /** The clock used for "now" while bars are open; injectable for tests. Default Date.now. */
    private readonly now: () => number = Date.now,
    private readonly options: RunModelOptions = {},
  ) {
    this.functions = functions;
    this.startedAt = now();
    for (const f of functions) this.status.set(f.id, 'pending');
    this.unsubscribe.push(
      run.on('task:queued', ({ id }) => this.set(id, 'queued')),
      run.on('task:started', ({ id, attempt, peer, at }) => {
        const bar: TaskBar = {
          id,
          lane: peer,
          attempt,
          start: at,
          end: undefined,
          outcome: 'running',
          cached: false,
        };
        this.bars.push(bar);
        this.open.set(id, bar);
        this.openPerLane.set(peer, (this.openPerLane.get(peer) ?? 0) + 1);
        if (this.slots(peer) === undefined) this.addLoad(peer, at, +1);
        else this.touchLane(peer);
        this.set(id, 'running');
      }),
      run.on('task:succeeded', ({ id, peer, at, cached }) => {
        if (cached) this.cachedIds.add(id);
        // A cache hit may have no peer (the result came from the store, nothing ran): give it its own lane.
        this.close(id, peer || 'cache', at ?? this.now(), 'succeeded', cached);
        this.set(id, 'succeeded');
      }),
      run.on('task:failed', ({ id, peer, at, final }) => {
        this.close(id, peer, at, 'failed', false);
        this.set(id, final ? 'failed' : 'queued');
      }),
      run.on('task:skipped', ({ id }) => this.set(id, 'skipped')),
      run.on('run:done', (summary) => {
        this.summary = summary;
        this.endedAt = summary.endedAt;
        for (const r of summary.functions) this.status.set(r.id, r.status);
        this.emit();
      }),
    );
  }

  /** Call `listener` after every change; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counts(): RunCounts {
    const c = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    for (const s of this.status.values()) c[s]++;
    return { total: this.status.size, cached: this.cachedIds.size, ...c };
  }

  /** The right edge of the time axis: the end of the run, or now while it runs. */
  clockEnd(): number {
    return this.endedAt ?? this.now();
  }

  /** Functions currently running in each lane (on a slot-aware lane: what is open, at most its slots). */
  runningByLane(): ReadonlyMap<string, number> {
    const running = new Map(this.runningPerLane);
    for (const [lane, open] of this.openPerLane) {
      const slots = this.slots(lane);
      if (slots !== undefined) running.set(lane, Math.min(open, slots));
    }
    return running;
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.listeners.clear();
  }

  private set(id: string, status: FunctionStatus): void {
    this.status.set(id, status);
    this.emit();
  }

  private close(
    id: string,
    peer: string,
    at: number,
    outcome: 'succeeded' | 'failed',
    cached: boolean,
  ): void {
    const bar = this.open.get(id);
    if (bar) {
      this.open.delete(id);
      this.openPerLane.set(bar.lane, Math.max(0, (this.openPerLane.get(bar.lane) ?? 0) - 1));
      bar.end = at;
      bar.outcome = outcome;
      bar.cached = cached;
      const slots = this.slots(bar.lane);
      if (slots === undefined) this.addLoad(bar.lane, at, -1);
      else {
        // The slot that was free first took it; it is busy from then until this end.
        const free = this.slotFree.get(bar.lane) ?? [];
        this.slotFree.set(bar.lane, free);
        while (free.length < slots) free.push(Number.NEGATIVE_INFINITY);
        let k = 0;
        for (let j = 1; j < free.length; j++) if (free[j]! < free[k]!) k = j;
        bar.start = Math.min(at, Math.max(bar.start, free[k]!));
        free[k] = at;
        // A bar squeezed to nothing (its completion arrived in the same batch as the one before) adds no load:
        // a +1 and −1 at one instant would sort end-first and unbalance the running count.
        if (bar.start < at)
          this.load.push({ at: bar.start, lane: bar.lane, delta: 1 }, { at, lane: bar.lane, delta: -1 });
      }
    } else if (cached) {
      // A cache hit never started: show it as an instant mark so the stream still accounts for it.
      this.bars.push({ id, lane: peer, attempt: 1, start: at, end: at, outcome, cached });
      this.touchLane(peer);
    }
  }

  private addLoad(lane: string, at: number, delta: 1 | -1): void {
    this.touchLane(lane);
    this.runningPerLane.set(lane, Math.max(0, (this.runningPerLane.get(lane) ?? 0) + delta));
    this.load.push({ at, lane, delta });
  }

  private slots(lane: string): number | undefined {
    const n = this.options.slotsOf?.(lane);
    return n !== undefined && n >= 1 ? n : undefined;
  }

  private touchLane(lane: string): void {
    if (this.lanes.includes(lane)) return;
    this.lanes.push(lane);
    this.lanes.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
