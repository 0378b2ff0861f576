import { describe, expect, it } from 'vitest';
import { peakPerBucket, runningAt, runningSteps, sumSteps } from '../src/run-model/running.js';

describe('running counts from intervals', () => {
  it('counts half-open intervals: zero-length ones nowhere, back-to-back ones once', () => {
    const steps = runningSteps([
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 5, end: 5 },
      { start: 15, end: 30 },
    ]);
    expect(steps).toEqual([
      { at: 0, running: 1 },
      { at: 15, running: 2 },
      { at: 20, running: 1 },
      { at: 30, running: 0 },
    ]);
    expect(runningAt(steps, 10)).toBe(1);
    expect(runningAt(steps, -1)).toBe(0);
  });

  it('bounds the count by a cap (a lane’s slots)', () => {
    const steps = runningSteps(
      [
        { start: 0, end: 10 },
        { start: 0, end: 10 },
        { start: 0, end: 10 },
      ],
      2,
    );
    expect(steps).toEqual([
      { at: 0, running: 2 },
      { at: 10, running: 0 },
    ]);
  });

  it('keeps a function shorter than a bucket visible as the bucket peak', () => {
    const steps = runningSteps([{ start: 12, end: 13 }]);
    expect(peakPerBucket(steps, 0, 100, 4)).toEqual([0, 1, 0, 0, 0]);
  });

  it('sums the lanes pointwise', () => {
    const a = runningSteps([{ start: 0, end: 10 }]);
    const b = runningSteps([{ start: 5, end: 15 }]);
    expect(sumSteps([a, b])).toEqual([
      { at: 0, running: 1 },
      { at: 5, running: 2 },
      { at: 10, running: 1 },
      { at: 15, running: 0 },
    ]);
  });
});
