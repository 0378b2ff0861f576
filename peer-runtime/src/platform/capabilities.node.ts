/** Platform facts of a Node peer: cores from `os.availableParallelism()`, free memory, no WebGPU. */
import { availableParallelism, freemem, totalmem } from 'node:os';
import type { PlatformFacts } from './types.js';

/** Async like the browser twin (which must ask for a WebGPU adapter), so callers treat both alike. */
export async function detectPlatform(): Promise<PlatformFacts> {
  // Offer the larger of free memory and half of the total: free memory alone under-reports on machines whose
  // page cache is full, and a peer should not promise all of a machine someone else is using.
  const mib = Math.max(freemem(), totalmem() / 2) / (1024 * 1024);
  return {
    platform: 'node',
    cores: Math.max(1, availableParallelism()),
    memoryMB: Math.floor(mib),
    gpu: false,
  };
}
