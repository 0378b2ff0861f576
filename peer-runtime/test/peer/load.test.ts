import { describe, expect, test } from 'vitest';
import { LOAD_INTERVAL_MS, LoadSampler } from '../../src/peer/load.js';
import type { ProcessLoadSample } from '../../src/platform/types.js';
import { validatePeerUpdate } from '../../src/signaling/validate.js';

describe('the load a peer publishes', () => {
  test('CPU is the share of all cores over the interval; memory is rounded; small moves are not published', () => {
    let reading: ProcessLoadSample = { cpuMicros: 0, at: 0, cores: 2, memoryMB: 100.4 };
    const sampler = new LoadSampler(() => reading);
    // 1 s later, 1 s of CPU on 2 cores: half the machine.
    reading = { cpuMicros: 1_000_000, at: 1000, cores: 2, memoryMB: 100.4 };
    expect(sampler.due(1000)).toEqual({ cpu: 0.5, memoryMB: 100 });
    // Too soon: nothing, whatever moved.
    reading = { cpuMicros: 3_000_000, at: 2000, cores: 2, memoryMB: 400 };
    expect(sampler.due(2000)).toBeUndefined();
    // Later, but CPU moved by less than 0.1 and memory by less than 10%: nothing.
    const t = 1000 + LOAD_INTERVAL_MS;
    reading = { cpuMicros: 1_000_000 + 0.52 * 2 * (t - 1000) * 1000, at: t, cores: 2, memoryMB: 105 };
    expect(sampler.due(t)).toBeUndefined();
    // A big move is published; a share is clamped to 0..1 (clock skew between readings).
    reading = { cpuMicros: 1e12, at: t + 1000, cores: 2, memoryMB: 105 };
    expect(sampler.due(t + 1000)).toEqual({ cpu: 1, memoryMB: 105 });
  });

  test('without CPU time (browsers) only memory is published', () => {
    let reading: ProcessLoadSample = { at: 0, cores: 1, memoryMB: 50 };
    const sampler = new LoadSampler(() => reading);
    reading = { at: 1000, cores: 1, memoryMB: 60 };
    expect(sampler.due(1000)).toEqual({ memoryMB: 60 });
  });

  test('the server refuses a CPU share outside 0..1, a negative memory and a label too long, naming the field', () => {
    expect(validatePeerUpdate({ state: { cpu: 0.3, memoryMB: 512 } }).ok).toBe(true);
    const field = (value: unknown) => {
      const v = validatePeerUpdate(value);
      return v.ok ? undefined : v.error.field;
    };
    expect(field({ state: { cpu: 1.5 } })).toBe('state.cpu');
    expect(field({ state: { memoryMB: -1 } })).toBe('state.memoryMB');
    expect(field({ capabilities: { label: 'x'.repeat(65) } })).toBe('capabilities.label');
  });
});
