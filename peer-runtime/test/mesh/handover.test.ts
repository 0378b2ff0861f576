/**
 * In-flight work handed over on a coordinator failover (coordinator/handover.ts, agent/handover.ts), in memory:
 * a function running on a peer when its coordinator dies is not run again by the coordinator that takes the
 * run over; its attempts number on from the submitter's records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPeerAgent, type PeerAgent } from '../../src/agent/peer-agent.js';
import { type Coordinator, createCoordinator } from '../../src/coordinator/coordinator.js';
import type { FunctionSpec } from '../../src/dag/types.js';
import { staticMembers } from '../../src/mesh/members.js';
import { createMemoryMembership, nodeCapabilities } from '../../src/mesh/membership.js';
import type { WireMessage } from '../../src/protocol/messages.js';
import type { Role } from '../../src/signaling/contract.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';
import { fn } from './helpers.js';

/**
 * Two coordinators, `peers` agents knowing both, a submitter. `trusted: false`: the coordinators do not believe
 * the peers' cache announcements of hashes they cannot check (a standby's view of a mesh without `trusted`
 * tokens), so only the handover can save the in-flight work.
 */
function mesh(peers: number, trusted: boolean) {
  const network = new MemoryNetwork();
  const membership = createMemoryMembership();
  const roles = new Map<string, readonly Role[]>([
    ['co-a', ['coordinate']],
    ['co-b', ['coordinate']],
    ['alice', ['submit']],
  ]);
  for (let k = 1; k <= peers; k++) roles.set(`p${k}`, ['contribute']);
  const members = staticMembers(roles, trusted ? new Set(roles.keys()) : new Set());
  const transports: Transport[] = [];
  const pools: WorkerPool[] = [];
  const agents = new Map<string, PeerAgent>();
  const coordinators = new Map<string, { transport: Transport; coordinator: Coordinator }>();
  for (const id of ['co-a', 'co-b']) {
    const transport = createMemoryTransport(network, id);
    transports.push(transport);
    coordinators.set(id, {
      transport,
      coordinator: createCoordinator({
        transport,
        membership,
        members,
        heartbeatIntervalMs: 0,
        holdingsWaitMs: 500,
      }),
    });
  }
  for (let k = 1; k <= peers; k++) {
    const id = `p${k}`;
    const transport = createMemoryTransport(network, id);
    const pool = createWorkerPool({ size: 2 });
    transports.push(transport);
    pools.push(pool);
    agents.set(
      id,
      createPeerAgent({
        transport,
        pool,
        members,
        store: createMemoryStore(),
        coordinators: ['co-a', 'co-b'],
        statusIntervalMs: 10,
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
    agents,
    coordinators,
    /** Functions run in a worker to the end, over every peer. */
    executed: () => [...agents.values()].reduce((n, a) => n + a.stats().executed, 0),
    adopted: () => [...agents.values()].reduce((n, a) => n + a.stats().adopted, 0),
    async kill(id: string) {
      alive.delete(id);
      const c = coordinators.get(id)!;
      await c.transport.close();
      await c.coordinator.close();
    },
    async close() {
      for (const { coordinator } of coordinators.values()) await coordinator.close();
      for (const a of agents.values()) await a.close();
      for (const p of pools) await p.close();
      for (const t of transports) await t.close();
    },
  };
}

/** `a` → slow (runs `ms`) → c: `slow` is what the kill catches in flight. */
function chain(ms: number): FunctionSpec[] {
  return [
    fn('a', [], '() => 20'),
    fn('slow', ['a'], `(a) => new Promise((r) => setTimeout(() => r(a + 1), ${ms}))`),
    fn('c', ['slow'], '(s) => s * 2'),
  ];
}

describe('work in flight on a coordinator failover (in memory)', () => {
  let m: ReturnType<typeof mesh> | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('a function running when its coordinator dies is handed back to its peer: it runs once, and its attempts number on', async () => {
    m = mesh(2, false);
    const h = m;
    const run = submitRemote(h.submitter, 'co-a', chain(800), {
      failover: { candidates: () => ['co-a', 'co-b'].filter((c) => h.alive.has(c)), retryMs: 20 },
    });
    let slowPeer: string | undefined;
    await new Promise<void>((resolve) =>
      run.on('task:started', ({ id, peer }) => {
        if (id !== 'slow') return;
        slowPeer = peer;
        resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 100)); // it runs on its peer now
    await h.kill('co-a');
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('c')).toBe(42);
    // Four executions, not five: `a` twice (co-b does not believe the unchecked announcement of its result, so
    // it recomputes it), `slow` once (co-b's assignment joined the execution started for co-a), `c` once.
    const slow = summary.functions.find((r) => r.id === 'slow')!;
    expect(h.adopted()).toBe(1);
    expect(h.executed()).toBe(4);
    // Attempt 1 ended with the lost coordinator; attempt 2, on the same peer, is the adopted one.
    expect(slow.history.map((a) => [a.attempt, a.peer])).toEqual([
      [1, slowPeer],
      [2, slowPeer],
    ]);
    expect(slow.history[0]!.error).toContain("its coordinator 'co-a' was lost");
    expect(slow.history[1]!.error).toBeUndefined();
    expect(slow.attempts).toBe(2);
  }, 30_000);

  it('an adopted function that finished meanwhile is answered from its peer\u2019s store, not run again', async () => {
    m = mesh(2, false);
    const h = m;
    // co-b is not offered until `slow` has finished on its peer (for the lost co-a).
    let offerB = false;
    const run = submitRemote(h.submitter, 'co-a', chain(300), {
      failover: {
        candidates: () => (offerB ? ['co-b'] : []),
        retryMs: 20,
      },
    });
    await new Promise<void>((resolve) => run.on('task:started', ({ id }) => id === 'slow' && resolve()));
    await new Promise((r) => setTimeout(r, 50));
    await h.kill('co-a');
    await expect.poll(() => h.executed(), { timeout: 5000 }).toBeGreaterThanOrEqual(2); // a and slow ran
    offerB = true;
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('c')).toBe(42);
    const slow = summary.functions.find((r) => r.id === 'slow')!;
    expect(slow.attempts).toBe(2);
    expect(h.adopted()).toBe(1);
    // `slow` ran once (co-b's assignment was answered from the store); `a` twice (co-b does not believe the
    // unchecked announcement), `c` once.
    expect(h.executed()).toBe(4);
  }, 30_000);

  it('without a handover hint (no submitter account), the same function assigned to the peer running it joins that execution', async () => {
    m = mesh(1, true);
    const h = m;
    const co = h.coordinators.get('co-b')!.coordinator;
    // Two runs of the same function on two coordinators, one peer: one execution answers both.
    const dag = [fn('one', [], '() => new Promise((r) => setTimeout(() => r(7), 400))')];
    const first = submitRemote(h.submitter, 'co-a', dag, {});
    await new Promise<void>((resolve) => first.on('task:started', () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    const second = co.submit(dag);
    const [s1, s2] = await Promise.all([first.done, second.done]);
    expect(s1.status).toBe('succeeded');
    expect(s2.status).toBe('succeeded');
    expect(await second.result('one')).toBe(7);
    expect(h.executed()).toBe(1);
  }, 30_000);

  it('a resubmission whose account names a function the DAG does not have is refused, naming it', async () => {
    m = mesh(1, true);
    const h = m;
    const events: WireMessage[] = [];
    h.submitter.onMessage((from, message) => {
      if (from === 'co-a') events.push(message);
    });
    await h.submitter.send('co-a', {
      type: 'dag:submit',
      runId: 'r-resume',
      dag: { format: 'handout-dag', version: 1, functions: [fn('a', [], '() => 1')] },
      options: { resume: { from: 'co-x', functions: [{ id: 'ghost', attempts: 3, peer: 'p1' }] } },
    });
    await expect
      .poll(() => events.find((e) => e.type === 'run:event' && e.event.kind === 'run:rejected'))
      .toBeDefined();
    const rejected = events.find((e) => e.type === 'run:event' && e.event.kind === 'run:rejected');
    expect(JSON.stringify(rejected)).toContain("resume names function 'ghost'");
  }, 30_000);
});
