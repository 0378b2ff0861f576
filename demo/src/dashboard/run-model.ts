/**
 * What the dashboard's views draw, built from one `Run`'s events: each function's state, the bars of the task
 * stream (one per attempt, in the lane of the worker or peer that ran it) and the running count per lane over
 * time. It knows nothing of where the run executes: a local run and a mesh run emit the same events.
 */
import type { FunctionSpec, FunctionStatus, Run, RunSummary } from '@handout/peer-runtime';

/** One attempt of one function, as a bar in the task stream. `end` is undefined while it runs. */
export interface TaskBar {
  readonly id: string;
  readonly lane: string;
  readonly attempt: number;
  readonly start: number;
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

  constructor(
    functions: readonly FunctionSpec[],
    readonly run: Run,
    /** The clock used for "now" while bars are open; injectable for tests. Default Date.now. */
    private readonly now: () => number = Date.now,
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
        this.addLoad(peer, at, +1);
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

  /** Functions currently running in each lane. */
  runningByLane(): ReadonlyMap<string, number> {
    return this.runningPerLane;
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
      bar.end = at;
      bar.outcome = outcome;
      bar.cached = cached;
      this.addLoad(bar.lane, at, -1);
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

  private touchLane(lane: string): void {
    if (this.lanes.includes(lane)) return;
    this.lanes.push(lane);
    this.lanes.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
