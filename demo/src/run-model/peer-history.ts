/**
 * CPU and memory of each peer over time, sampled from what the peers report in their state (runtime-extras.ts):
 * these figures exist only at the moment they are read, unlike the running counts, which the run model derives
 * from the attempts after the fact. Bounded: the oldest samples go first past `maxSamples`.
 */
import type { PeerReadings } from './runtime-extras.js';

export interface PeerSample {
  readonly at: number;
  readonly readings: ReadonlyMap<string, PeerReadings>;
}

export class PeerHistory {
  readonly samples: PeerSample[] = [];

  /** `maxSamples`: how many samples are kept. Default 3600 (an hour at one a second). */
  constructor(private readonly maxSamples = 3600) {}

  record(at: number, readings: ReadonlyMap<string, PeerReadings>): void {
    this.samples.push({ at, readings });
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
  }

  /** Whether any peer ever reported `field`. */
  reports(field: keyof PeerReadings): boolean {
    return this.samples.some((s) => [...s.readings.values()].some((r) => r[field] !== undefined));
  }

  /** The samples from `since` on, as x (seconds after `since`) and one column per peer (null where unknown). */
  columns(
    peers: readonly string[],
    field: keyof PeerReadings,
    since: number,
  ): { x: number[]; values: Array<Array<number | null>> } {
    const kept = this.samples.filter((s) => s.at >= since);
    return {
      x: kept.map((s) => (s.at - since) / 1000),
      values: peers.map((p) => kept.map((s) => s.readings.get(p)?.[field] ?? null)),
    };
  }
}
