/**
 * How many functions run at once, derived from the attempts' intervals, never from a running tally of +1/−1
 * events: a tally that clamps at zero and sorts an end before the start of the same instant keeps a permanent +1
 * for every 0 ms function (the bug the dashboard had). Here each interval is half-open, `[start, end)`: an
 * interval of length zero ran for no time and counts nowhere, and an end at `t` is applied before a start at
 * `t`, so a worker that picks up its next function in the same millisecond counts one, not two. Every +1 is
 * paired with its own −1, so the count can never drift or go negative.
 */

/** One attempt's time on a lane, `[start, end)`, epoch ms. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** The running count from `at` until the next step. */
export interface Step {
  readonly at: number;
  readonly running: number;
}

/**
 * The step function of how many intervals are open, from the first start to the last end (where it is 0).
 * `cap` bounds the count (a lane's worker slots: a peer cannot run more than its slots, whatever the dispatch
 * times say; see run-model.ts). Default: no bound.
 */
export function runningSteps(intervals: Iterable<Interval>, cap = Number.POSITIVE_INFINITY): Step[] {
  const edges: Array<readonly [number, 1 | -1]> = [];
  for (const { start, end } of intervals) {
    if (!(end > start)) continue; // zero-length (or inverted by clock skew): ran for no measurable time
    edges.push([start, 1], [end, -1]);
  }
  // Ends before starts at equal times: the intervals are half-open.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const steps: Step[] = [];
  let open = 0;
  for (let i = 0; i < edges.length; i++) {
    const [at, delta] = edges[i]!;
    open += delta;
    // Several edges at one instant make one step: the count after all of them.
    if (i + 1 < edges.length && edges[i + 1]![0] === at) continue;
    const running = Math.min(open, cap);
    if (steps.length > 0 && steps[steps.length - 1]!.running === running) continue;
    steps.push({ at, running });
  }
  return steps;
}

/** The count of a step function at time `t`. */
export function runningAt(steps: readonly Step[], t: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]!.at <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? 0 : steps[found]!.running;
}

/** The highest count a step function reaches. */
export function peakOf(steps: readonly Step[]): number {
  let peak = 0;
  for (const s of steps) peak = Math.max(peak, s.running);
  return peak;
}

/**
 * The highest count during each of `buckets` equal spans of `[t0, t0 + span]` (so a function shorter than a
 * bucket still shows), plus the count at `t0` first: `buckets + 1` values, one per bucket edge.
 */
export function peakPerBucket(steps: readonly Step[], t0: number, span: number, buckets: number): number[] {
  const out: number[] = [runningAt(steps, t0)];
  let j = 0;
  while (j < steps.length && steps[j]!.at <= t0) j++;
  let current = out[0]!;
  for (let i = 1; i <= buckets; i++) {
    const edge = t0 + (i / buckets) * span;
    let peak = current;
    while (j < steps.length && steps[j]!.at <= edge) {
      current = steps[j]!.running;
      peak = Math.max(peak, current);
      j++;
    }
    out.push(peak);
  }
  return out;
}

/** The pointwise sum of several step functions (e.g. all lanes of a peer, or the whole mesh). */
export function sumSteps(series: ReadonlyArray<readonly Step[]>): Step[] {
  const at = new Set<number>();
  for (const steps of series) for (const s of steps) at.add(s.at);
  const times = [...at].sort((a, b) => a - b);
  const index = series.map(() => -1);
  const out: Step[] = [];
  for (const t of times) {
    let total = 0;
    series.forEach((steps, k) => {
      while (index[k]! + 1 < steps.length && steps[index[k]! + 1]!.at <= t) index[k]!++;
      total += index[k]! < 0 ? 0 : steps[index[k]!]!.running;
    });
    if (out.length > 0 && out[out.length - 1]!.running === total) continue;
    out.push({ at: t, running: total });
  }
  return out;
}
