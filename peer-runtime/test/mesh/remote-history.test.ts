import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MeshRunEvents } from '../../src/mesh/mesh-run.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createTestMesh, fn, sleep, slowFirstTime, type TestMesh } from './helpers.js';

describe('the records of a remote submitter', () => {
  let mesh: TestMesh | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'handout-remote-history-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('show the re-runs of work lost with a peer, each attempt naming its peer and error', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }]);
    const functions = Array.from({ length: 9 }, (_, k) => fn(`s${k}`, [], sleep(150), { extraArgs: [k] }));
    const run = submitRemote(mesh.submitter('alice'), 'coord', functions);
    await new Promise<void>((resolve) =>
      run.on('task:started', ({ peer }) => {
        if (peer === 'p2') resolve();
      }),
    );
    await mesh.kill('p2');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    const rerun = summary.functions.filter((r) =>
      r.history.some((h) => h.peer === 'p2' && h.error?.includes('peer-lost')),
    );
    expect(rerun.length).toBeGreaterThan(0);
    for (const r of rerun) {
      expect(r.peer).not.toBe('p2');
      expect(r.history.length).toBeGreaterThanOrEqual(2);
      const last = r.history[r.history.length - 1]!;
      expect(last.peer).toBe(r.peer);
      expect(last.error).toBeUndefined();
      expect(last.endedAt).toBeDefined();
    }
  });

  it('show a straggler copy and the copy that lost, like the coordinator’s own records', async () => {
    mesh = createTestMesh(
      [
        { id: 'p1', trustCode: true },
        { id: 'p2', trustCode: true },
      ],
      {
        stragglers: { factor: 2, minMs: 300, checkMs: 50 },
      },
    );
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('straggler', [], slowFirstTime, { cost: { estimateMs: 50 }, extraArgs: [join(dir, 'straggler')] }),
    ]);
    expect(await run.result('straggler')).toBe('fast');
    await run.done;
    const record = run.records()[0]!;
    expect(record.history).toHaveLength(2);
    const winner = record.history.find((h) => h.error === undefined)!;
    const loser = record.history.find((h) => h.error !== undefined)!;
    expect(winner.peer).not.toBe(loser.peer);
    expect(loser.error).toContain('cancelled');
    expect(winner.endedAt).toBeDefined();
    expect(loser.endedAt).toBeDefined();
    expect(record.peer).toBe(winner.peer);
  });

  it('hear that a function waits for a peer, with the unmet need named, and then that it runs', async () => {
    mesh = createTestMesh([{ id: 'p1' }], { unsatisfiableTimeoutMs: 10_000 });
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('g', [], '() => "on gpu"', { cost: { gpu: true } }),
    ]);
    const waiting = await new Promise<MeshRunEvents['task:waiting']>((resolve) =>
      run.onMeshEvent('task:waiting', resolve),
    );
    expect(waiting.id).toBe('g');
    expect(waiting.unmet).toContain('gpu');
    expect(run.waitingFor('g')?.unmet).toBe(waiting.unmet);
    mesh.addAgent({ id: 'g1', capabilities: { gpu: true } });
    expect(await run.result('g')).toBe('on gpu');
    expect(run.waitingFor('g')).toBeUndefined();
    expect(run.records()[0]!.peer).toBe('g1');
  });
});

describe('the links of a remote run', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('name, on the attempt that fetched an input, the peer it came from and the bandwidth the fetch measured (memory links have no ICE path)', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    // 40,000 integers encode to well over the meter's 64 KiB bandwidth sample.
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('big', [], '(n) => Array.from({ length: n }, (_, i) => i)', { node: 'p1', extraArgs: [40_000] }),
      fn('sum', ['big'], '(xs) => xs.reduce((a, b) => a + b, 0)', { node: 'p2' }),
    ]);
    expect(await run.result('sum')).toBe((40_000 * 39_999) / 2);
    await run.done;
    const sum = run.records().find((r) => r.id === 'sum')!;
    const fetched = sum.history.at(-1)?.fetchedFrom;
    expect(fetched?.map((f) => [f.peer, f.link])).toEqual([['p1', 'unknown']]);
    // p2's own figure for its link from p1, carried to the submitter (the dashboard's peers view shows it).
    expect(fetched?.[0]?.bytesPerSecond).toBeGreaterThan(0);
    for (const key of Object.keys(fetched![0]!))
      expect(['peer', 'link', 'rttMs', 'bytesPerSecond']).toContain(key);
  });
});
