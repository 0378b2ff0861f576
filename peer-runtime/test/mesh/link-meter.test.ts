import { describe, expect, it } from 'vitest';
import { BANDWIDTH_SAMPLE_BYTES, LinkMeter } from '../../src/mesh/link-meter.js';

describe('LinkMeter', () => {
  it('a measured round trip is a MeasuredLink with when it was measured, and a LinkReport without it', () => {
    const meter = new LinkMeter('self');
    expect(meter.get('p')).toBeUndefined();
    const before = Date.now();
    meter.noteRtt('p', 12.3456789);
    const link = meter.get('p');
    expect(link?.rttMs).toBe(12.346);
    expect(link?.bytesPerSecond).toBeUndefined();
    expect(link?.measuredAt).toBeGreaterThanOrEqual(before);
    expect(link?.measuredAt).toBeLessThanOrEqual(Date.now());
    expect(meter.takeDue(10)).toEqual([{ peer: 'p', rttMs: 12.346 }]);
    expect(meter.hasDue).toBe(false);
    expect(meter.all(10)).toEqual([{ peer: 'p', rttMs: 12.346 }]);
  });

  it('a fetch of at least the sample size measures bandwidth: its bytes over its time less a round trip', async () => {
    const meter = new LinkMeter('self');
    meter.noteRtt('p', 1);
    const bytes = BANDWIDTH_SAMPLE_BYTES * 4;
    const t0 = performance.now();
    meter.fetchStarted('p');
    const tA = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    const tB = performance.now();
    meter.fetchEnded('p', bytes, true);
    const t1 = performance.now();
    const bps = meter.get('p')?.bytesPerSecond;
    // The meter's period lies between tB - tA and t1 - t0; it takes the 1 ms round trip off.
    expect(bps).toBeGreaterThanOrEqual(Math.floor(bytes / ((t1 - t0) / 1000)));
    expect(bps).toBeLessThanOrEqual(Math.ceil(bytes / ((tB - tA - 1) / 1000)));
  });

  it("a listener that throws neither stops the meter nor another listener's calls", () => {
    const meter = new LinkMeter('self');
    const due: number[] = [];
    const updated: string[] = [];
    meter.onDue(() => {
      throw new Error('listener bug');
    });
    meter.onDue(() => due.push(1));
    meter.onUpdate(() => {
      throw new Error('listener bug');
    });
    meter.onUpdate((peer) => updated.push(peer));
    expect(() => meter.noteRtt('p', 5)).not.toThrow();
    expect(() => meter.noteRtt('q', 5)).not.toThrow();
    expect(due).toEqual([1, 1]);
    expect(updated).toEqual(['p', 'q']);
    expect(meter.takeDue(10).map((l) => l.peer)).toEqual(['p', 'q']);
  });

  it('its own links are not measured', () => {
    const meter = new LinkMeter('self');
    meter.noteRtt('self', 3);
    expect(meter.get('self')).toBeUndefined();
    expect(meter.hasDue).toBe(false);
  });
});
