import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../../src/dag/types.js';
import { createTestMesh, fn, sleep, type TestMesh } from './helpers.js';

/**
 * One long function and two short ones on one single-slot peer, then a second peer joins: the short function
 * queued behind the long one should move to the newcomer instead of waiting ~3 s (long enough that the newcomer's
 * worker pool, which takes up to a second or more to start on a loaded machine, is up well before).
 */
async function lateJoiner(rebalance: boolean) {
  // Straggler copies off: after a second in the queue the short one would count as one and move anyway.
  const mesh = createTestMesh([{ id: 'a' }], {
    stragglers: false,
    ...(rebalance ? {} : { rebalance: false }),
  });
  const functions: FunctionSpec[] = [
    fn('long', [], sleep(3000), { extraArgs: ['long'], cost: { estimateMs: 3000 } }),
    fn('short1', [], sleep(50), { extraArgs: ['short1'], cost: { estimateMs: 50 } }),
    fn('short2', [], sleep(50), { extraArgs: ['short2'], cost: { estimateMs: 50 } }),
  ];
  const run = mesh.coordinator.submit(functions);
  // 'a' takes the long one and queues one short one (one queued per slot for functions this long); the other
  // short one waits in the coordinator's ready queue until 'b' joins and takes it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  mesh.addAgent({ id: 'b' });
  const started = Date.now();
  const summary = await run.done;
  return { mesh, summary, afterJoinMs: Date.now() - started };
}

describe('moving queued work to idle peers', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('copies a function queued behind a long one to a peer that went idle; the copy wins and the queued one is cancelled', async () => {
    const out = await lateJoiner(true);
    mesh = out.mesh;
    expect(out.summary.status).toBe('succeeded');
    const byId = new Map(out.summary.functions.map((r) => [r.id, r]));
    expect(byId.get('long')!.peer).toBe('a');
    // Both short ones ran on 'b': one from the ready queue, one moved from behind the long one on 'a'.
    expect(byId.get('short1')!.peer).toBe('b');
    expect(byId.get('short2')!.peer).toBe('b');
    const moved = [byId.get('short1')!, byId.get('short2')!].find((r) => r.history.length > 1)!;
    expect(moved.history.map((h) => h.peer).sort()).toEqual(['a', 'b']);
    expect(moved.history.find((h) => h.peer === 'a')!.error).toMatch(/cancelled: peer 'b' finished first/);
  });

  it('leaves queued work where it is when rebalancing is off (what the test above would see without it)', async () => {
    const out = await lateJoiner(false);
    mesh = out.mesh;
    expect(out.summary.status).toBe('succeeded');
    const onA = out.summary.functions.filter((r) => r.peer === 'a').map((r) => r.id);
    expect(onA).toContain('long');
    expect(onA).toHaveLength(2);
  });

  it('never moves tiny functions: a run of quick ones ends with no copies', async () => {
    mesh = createTestMesh([{ id: 'a' }, { id: 'b' }]);
    await mesh.ready();
    // Declared tiny (an estimate is what moves rely on): deep queues, but each wait is far below 20 ms.
    const tiny = Array.from({ length: 400 }, (_, k) =>
      fn(`t${k}`, [], '(k) => k', { extraArgs: [k], cost: { estimateMs: 0.05 } }),
    );
    const summary = await mesh.coordinator.submit(tiny).done;
    expect(summary.status).toBe('succeeded');
    expect(summary.functions.filter((r) => r.history.length > 1)).toEqual([]);
  });
});
