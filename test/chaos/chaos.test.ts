/**
 * The short fixed-seed chaos scenario CI runs (test/chaos/chaos.ts has the harness; `pnpm chaos` runs longer
 * ones): real processes, seeded faults, every result checked.
 */
import { describe, expect, it } from 'vitest';
import { describeReport, runChaos } from './chaos.js';

describe('chaos', () => {
  it('a seeded schedule of killed, stopped and restarted peers and coordinators: every result is correct', async () => {
    const report = await runChaos({
      seed: 7,
      layers: 12,
      width: 80,
      functionMs: 10,
      // The kinds a drawn schedule of this length could miss: a coordinator kill, a network cut, a signaling
      // restart, each at least once.
      firstFaults: ['kill-coordinator', 'cut-peer', 'restart-signaling'],
      log: (l) => console.log(l),
    });
    console.log(describeReport(report));
    expect(report.wrong).toEqual([]);
    expect(report.correct).toBe(true);
    expect(report.faults['kill-coordinator']).toBeGreaterThanOrEqual(1);
    expect(report.coordinatorChanges).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
