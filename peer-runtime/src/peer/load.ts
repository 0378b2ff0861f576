/**
 * The load a peer publishes in its PeerState (`cpu`, `memoryMB`), for dashboards and operators: the CPU share of
 * the whole process over the last interval (0..1 of every core) and its memory.
 *
 * Published only when it moved (CPU by LOAD_CPU_STEP, memory by LOAD_MEMORY_STEP of itself) and at most every
 * LOAD_INTERVAL_MS: every state change is broadcast to every member of the mesh, so a figure that changes on each
 * tick would cost a mesh of n peers n² messages per tick.
 */
import { sampleProcessLoad } from '#platform';
import type { ProcessLoadSample } from '../platform/types.js';

export const LOAD_INTERVAL_MS = 10_000;
export const LOAD_CPU_STEP = 0.1;
export const LOAD_MEMORY_STEP = 0.1;

export interface PeerLoad {
  readonly cpu?: number;
  readonly memoryMB: number;
}

export class LoadSampler {
  private last: ProcessLoadSample | undefined;
  private published: PeerLoad | undefined;
  private publishedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly sample: () => ProcessLoadSample | undefined = sampleProcessLoad) {
    this.last = this.sample();
  }

  /** The load to publish now, or undefined when it did not move enough or was published too recently. */
  due(now = performance.now()): PeerLoad | undefined {
    if (now - this.publishedAt < LOAD_INTERVAL_MS) return undefined;
    const load = this.read();
    if (!load) return undefined;
    const before = this.published;
    const moved =
      !before ||
      Math.abs((load.cpu ?? 0) - (before.cpu ?? 0)) >= LOAD_CPU_STEP ||
      Math.abs(load.memoryMB - before.memoryMB) >= before.memoryMB * LOAD_MEMORY_STEP;
    if (!moved) return undefined;
    this.published = load;
    this.publishedAt = now;
    return load;
  }

  private read(): PeerLoad | undefined {
    const next = this.sample();
    const prev = this.last;
    this.last = next;
    if (!next) return undefined;
    const memoryMB = Math.round(next.memoryMB);
    if (next.cpuMicros === undefined || prev?.cpuMicros === undefined || next.at <= prev.at)
      return { memoryMB };
    const share = (next.cpuMicros - prev.cpuMicros) / 1000 / (next.at - prev.at) / next.cores;
    return { cpu: Math.round(Math.min(1, Math.max(0, share)) * 100) / 100, memoryMB };
  }
}
