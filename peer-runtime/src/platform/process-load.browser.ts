/**
 * The browser's half of `sampleProcessLoad`: a page cannot read its CPU time, and its memory only through
 * Chromium's non-standard `performance.memory` (the JS heap, not the tab's whole footprint). So: no CPU figure,
 * and the heap where there is one.
 */
import type { ProcessLoadSample } from './types.js';

export function sampleProcessLoad(): ProcessLoadSample | undefined {
  const memory = (performance as { memory?: { usedJSHeapSize?: number } }).memory;
  const used = memory?.usedJSHeapSize;
  return used === undefined ? undefined : { memoryMB: used / (1024 * 1024), at: performance.now(), cores: 1 };
}
