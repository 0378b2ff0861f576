/**
 * Platform facts of a browser peer: `navigator.hardwareConcurrency`, `navigator.deviceMemory` (Chromium only,
 * rounded and capped at 8 GiB by the spec; assume 2 GiB elsewhere), and WebGPU when an adapter is granted.
 */
import type { PlatformFacts } from './types.js';

interface NavigatorFacts {
  readonly hardwareConcurrency?: number;
  readonly deviceMemory?: number;
  readonly gpu?: { requestAdapter(): Promise<unknown> };
}

export async function detectPlatform(
  nav: NavigatorFacts = globalThis.navigator as NavigatorFacts,
): Promise<PlatformFacts> {
  let gpu = false;
  try {
    // An adapter can be null (blocklisted GPU, software rendering off): only a real adapter counts.
    gpu = nav.gpu ? (await nav.gpu.requestAdapter()) != null : false;
  } catch {
    gpu = false;
  }
  return {
    platform: 'browser',
    cores: Math.max(1, nav.hardwareConcurrency ?? 1),
    memoryMB: Math.floor((nav.deviceMemory ?? 2) * 1024),
    gpu,
  };
}
