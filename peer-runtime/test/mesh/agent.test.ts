import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeCapabilities } from '../../src/mesh/membership.js';
import { createTestMesh, fn, slowFirstTime, type TestMesh } from './helpers.js';

describe('peer agents and stragglers', () => {
  let mesh: TestMesh | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'handout-mesh-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('duplicates a straggler on an idle peer; the first result wins and the other copy is cancelled', async () => {
    mesh = createTestMesh(
      [
        { id: 'p1', trustCode: true },
        { id: 'p2', trustCode: true },
      ],
      {
        stragglers: { factor: 2, minMs: 300, checkMs: 50 },
      },
    );
    const died: string[] = [];
    for (const a of mesh.agents.values())
      a.pool.on('worker:died', ({ reason }) => died.push(`${a.id}:${reason}`));
    const run = mesh.coordinator.submit([
      fn('straggler', [], slowFirstTime, { cost: { estimateMs: 50 }, extraArgs: [join(dir, 'straggler')] }),
    ]);
    expect(await run.result('straggler')).toBe('fast');
    const record = run.records()[0]!;
    expect(record.history).toHaveLength(2);
    // Whichever copy ran second was the fast one; the other was cancelled on its peer.
    const winner = record.history.find((h) => h.error === undefined)!;
    const loser = record.history.find((h) => h.error !== undefined)!;
    expect(winner.peer).not.toBe(loser.peer);
    expect(loser.error).toContain('cancelled');
    expect(record.peer).toBe(winner.peer);
    await expect.poll(() => died).toEqual([`${loser.peer}:cancelled`]);
  });

  it('a draining peer hands back work it has not started and the run completes on the others', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    const run = mesh.coordinator.submit(
      Array.from({ length: 8 }, (_, k) =>
        fn(`w${k}`, [], '(k) => new Promise((r) => setTimeout(() => r(k), 200))', { extraArgs: [k] }),
      ),
    );
    await new Promise<void>((resolve) => run.on('task:started', ({ peer }) => peer === 'p1' && resolve()));
    await mesh.agents.get('p1')!.agent.drain({ graceMs: 0 });
    mesh.membership.leave('p1');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (let k = 0; k < 8; k++) expect(await run.result(`w${k}`)).toBe(k);
    const handedBack = summary.functions.filter((r) =>
      r.history.some((h) => h.peer === 'p1' && h.error !== undefined),
    );
    expect(handedBack.length).toBeGreaterThan(0);
    for (const r of handedBack) expect(r.peer).toBe('p2');
  });

  it('drain resolves once its hand-backs left: closing the transport right after loses none of them', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }], { stragglers: false });
    const run = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) =>
        fn(`w${k}`, [], '(k) => new Promise((r) => setTimeout(() => r(k), 300))', { extraArgs: [k] }),
      ),
    );
    const p1 = mesh.agents.get('p1')!.agent;
    // The coordinator marks a function started when it sends it: wait until p1 really holds its share.
    await expect.poll(() => p1.assigned).toBe(3);
    await p1.drain({ graceMs: 0 });
    await mesh.kill('p1');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    const onP1 = summary.functions.flatMap((r) => r.history.filter((h) => h.peer === 'p1'));
    expect(onP1.length).toBeGreaterThan(0);
    // Each attempt on p1 ended as a hand-back the coordinator received, not as work lost with the peer.
    for (const h of onP1) expect(h.error).toContain('handed it back');
  });

  it('a paused peer that the coordinator believes unpaused hands its work back once, and the run completes elsewhere', async () => {
    // p1 pauses (its status says so at once), then a stale membership update says "not paused": signaling and the
    // data channel are different paths, so the coordinator can hear them in either order. Only p1's hand-backs
    // now tell the truth. Without believing them, each free reschedule went straight back to p1 until
    // maxLostAttempts failed the function (the e2e's "failed on attempt 6 ... handed it back: it is paused").
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }], { stragglers: false });
    // A first run: both peers connected and announced (an announce made while paused would say so).
    const warm = mesh.coordinator.submit(
      Array.from({ length: 4 }, (_, k) => fn(`w${k}`, [], '(k) => -k', { extraArgs: [k] })),
    );
    expect((await warm.done).functions.filter((r) => r.peer === 'p1').length).toBeGreaterThan(0);
    mesh.agents.get('p1')!.agent.pause();
    await new Promise((r) => setTimeout(r, 100)); // its status arrives
    mesh.membership.update({ peerId: 'p1', capabilities: nodeCapabilities(1), state: { paused: false } });
    const run = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) => fn(`f${k}`, [], '(k) => k', { extraArgs: [k] })),
    );
    const summary = await run.done;
    expect(summary.functions.filter((r) => r.status !== 'succeeded').map((r) => r.error?.message)).toEqual(
      [],
    );
    for (let k = 0; k < 6; k++) expect(await run.result(`f${k}`)).toBe(k);
    expect(summary.functions.every((r) => r.peer === 'p2')).toBe(true);
    const onP1 = summary.functions.flatMap((r) => r.history.filter((h) => h.peer === 'p1'));
    expect(onP1.length, 'hand-backs from p1').toBeGreaterThan(0);
    expect(onP1.length, 'hand-backs from p1').toBeLessThanOrEqual(6);
    for (const h of onP1) expect(h.error).toContain('handed it back: it is paused');
  });

  it('a paused peer takes no new work', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    mesh.agents.get('p1')!.agent.pause();
    mesh.membership.update({
      peerId: 'p1',
      capabilities: nodeCapabilities(1),
      state: { paused: true },
    });
    const run = mesh.coordinator.submit(
      Array.from({ length: 6 }, (_, k) => fn(`f${k}`, [], '(k) => k', { extraArgs: [k] })),
    );
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions.every((r) => r.peer === 'p2')).toBe(true);
  });
});
