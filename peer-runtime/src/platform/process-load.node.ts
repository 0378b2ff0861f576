/** Node's half of `sampleProcessLoad`: CPU time of the whole process (main thread and workers) and its RSS. */
import { cpus } from 'node:os';
import type { ProcessLoadSample } from './types.js';

export function sampleProcessLoad(): ProcessLoadSample {
  const usage = process.cpuUsage();
  return {
    cpuMicros: usage.user + usage.system,
    at: performance.now(),
    cores: Math.max(1, cpus().length),
    memoryMB: process.memoryUsage.rss() / (1024 * 1024),
  };
}
