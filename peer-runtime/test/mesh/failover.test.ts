import { afterEach, describe, expect, it } from 'vitest';
import { createPeerAgent, type PeerAgent } from '../../src/agent/peer-agent.js';
import { type Coordinator, createCoordinator } from '../../src/coordinator/coordinator.js';
import { PeerError } from '../../src/errors.js';
import { createMemoryMembership, nodeCapabilities } from '../../src/mesh/membership.js';
import type { RunEvents } from '../../src/run/types.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { fn, layeredDag } from './helpers.js';

/** Two coordinators (co-a, co-b), `peers` agents that know both, one submitter: all in memory. */
function twoCoordinatorMesh(peers: number) {
  const network = new MemoryNetwork();
  const membership = createMemoryMembership();
  const transports: Transport[] = [];
  const pools: WorkerPool[] = [];
  const agents: PeerAgent[] = [];
  const coordinators = new Map<string, { transport: Transport; coordinator: Coordinator }>();
  for (const id of ['co-a', 'co-b']) {
    const transport = createMemoryTransport(network, id);
    transports.push(transport);
    coordinators.set(id, {
      transport,
      coordinator: createCoordinator({ transport, membership, heartbeatIntervalMs: 0, holdingsWaitMs: 1000 }),
    });
  }
  for (let k = 1; k <= peers; k++) {
    const id = `p${k}`;
    const transport = createMemoryTransport(network, id);
    const pool = createWorkerPool({ size: 2 });
    transports.push(transport);
    pools.push(pool);
    agents.push(
      createPeerAgent({
        transport,
        pool,
        store: createMemoryStore(),
        coordinators: ['co-a', 'co-b'],
        statusIntervalMs: 10,
        inlineLimitBytes: 0,
      }),
    );
    membership.join({ peerId: id, capabilities: nodeCapabilities(2) });
  }
  const submitter = createMemoryTransport(network, 'alice');
  transports.push(submitter);
  const alive = new Set(['co-a', 'co-b']);
  return {
    submitter,
    alive,
    coordinators,
    /** The coordinator process dies: its transport closes (channels drop) and it stops. */
    async kill(id: string) {
      alive.delete(id);
      const c = coordinators.get(id)!;
      await c.transport.close();
      await c.coordinator.close();
    },
    async close() {
      for (const { coordinator } of coordinators.values()) await coordinator.close();
      for (const a of agents) await a.close();
      for (const p of pools) await p.close();
      for (const t of transports) await t.close();
    },
  };
}

describe('coordinator failover (in memory)', () => {
  let mesh: ReturnType<typeof twoCoordinatorMesh> | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('a run whose coordinator dies moves to the standby, finds what was done in the caches and finishes', async () => {
    mesh = twoCoordinatorMesh(2);
    const m = mesh;
    const { functions, expected } = layeredDag(6, 8);
    // Slow enough to kill the coordinator in the middle.
    const slow = functions.map((f) => ({
      ...f,
      code: {
        kind: 'source' as const,
        source: `(...xs) => new Promise((r) => setTimeout(() => r((${(f.code as { source: string }).source})(...xs)), 30))`,
      },
    }));
    const run = submitRemote(m.submitter, 'co-a', slow, {
      failover: { candidates: () => ['co-a', 'co-b'].filter((c) => m.alive.has(c)), retryMs: 20 },
    });
    const changes: RunEvents['run:coordinator-changed'][] = [];
    run.on('run:coordinator-changed', (e) => changes.push(e));
    await expect
      .poll(() => run.records().filter((r) => r.status === 'succeeded').length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(16);
    const doneBefore = new Set(
      run
        .records()
        .filter((r) => r.status === 'succeeded')
        .map((r) => r.id),
    );
    const startedAfter: string[] = [];
    run.on('task:started', ({ id }) => startedAfter.push(id));
    await m.kill('co-a');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const [id, value] of expected) expect(await run.result(id)).toBe(value);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ from: 'co-a', to: 'co-b' });
    expect(changes[0]!.reason).toMatch(/disconnected/);
    expect(startedAfter.filter((id) => doneBefore.has(id))).toEqual([]);
    // Attempts cut short by the loss stay in the records, named; each such function then ran again, or was
    // found finished in a cache.
    const moved = summary.functions.filter((r) =>
      r.history.some((a) => a.error?.includes("its coordinator 'co-a' was lost")),
    );
    expect(moved.length).toBeGreaterThan(0);
    for (const r of moved) expect(r.history.length > 1 || r.cached === true, r.id).toBe(true);
  }, 30_000);

  it('with no coordinator to move to, the run fails within the window naming the lost one and what is unfinished', async () => {
    mesh = twoCoordinatorMesh(1);
    const m = mesh;
    const run = submitRemote(
      m.submitter,
      'co-a',
      [fn('a', [], '() => 1'), fn('slow', ['a'], '(a) => new Promise((r) => setTimeout(() => r(a), 5000))')],
      { failover: { candidates: () => ['co-a'].filter((c) => m.alive.has(c)), windowMs: 300, retryMs: 20 } },
    );
    await new Promise<void>((resolve) => run.on('task:started', ({ id }) => id === 'slow' && resolve()));
    await m.kill('co-a');
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(summary.functions.find((r) => r.id === 'a')!.status).toBe('succeeded');
    const error = await run.result('slow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).peerId).toBe('co-a');
    expect((error as Error).message).toMatch(
      /coordinator 'co-a' disconnected .* no other coordinator took run .* over within \d+ ms; unfinished: 'slow'$/,
    );
  }, 30_000);
});
