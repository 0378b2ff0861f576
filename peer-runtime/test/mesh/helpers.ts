import { createPeerAgent, type PeerAgent, type PeerAgentOptions } from '../../src/agent/peer-agent.js';
import {
  type Coordinator,
  type CoordinatorOptions,
  createCoordinator,
} from '../../src/coordinator/coordinator.js';
import type { FunctionSpec } from '../../src/dag/types.js';
import {
  createMemoryMembership,
  type MemoryMembership,
  nodeCapabilities,
} from '../../src/mesh/membership.js';
import type { PeerCapabilities } from '../../src/signaling/contract.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { ResultStore } from '../../src/store/types.js';
import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';

import { fn } from '../engine/helpers.js';
import { forgingPool } from './forging-pool.js';

export { fn };

/** Function source that resolves to its extra argument after `ms` milliseconds. */
export const sleep = (ms: number): string =>
  `(k) => new Promise((resolve) => setTimeout(() => resolve(k), ${ms}))`;

/**
 * Function source that is slow (20 s) on its first attempt anywhere and instant after, remembered by a marker
 * file named in its extra argument: a straggler with a fast duplicate. It needs node:fs: run it on agents with
 * `trustCode: true`.
 */
export const slowFirstTime = `(marker) => {
  const fs = globalThis.process.getBuiltinModule('node:fs');
  if (!fs.existsSync(marker)) {
    fs.writeFileSync(marker, 'seen');
    return new Promise((resolve) => setTimeout(() => resolve('slow'), 20000));
  }
  return 'fast';
}`;

export interface AgentSpec {
  readonly id: string;
  readonly slots?: number;
  readonly capabilities?: Partial<PeerCapabilities>;
  readonly options?: Partial<Omit<PeerAgentOptions, 'transport' | 'pool'>>;
  /** Run code with full powers (tests that script failures with node:fs markers or process.exit). Default false. */
  readonly trustCode?: boolean;
  /** A lying contributor: its pool returns a forged value for every function (forging-pool.ts). Default false. */
  readonly forge?: boolean;
  /** Slots it claims (peer:status) while its pool has `slots` workers: a peer lying about capacity. */
  readonly claimedSlots?: number;
}

export interface TestAgent {
  readonly id: string;
  readonly transport: Transport;
  readonly pool: WorkerPool;
  readonly store: ResultStore;
  readonly agent: PeerAgent;
}

export interface TestMesh {
  readonly network: MemoryNetwork;
  readonly membership: MemoryMembership;
  readonly coordinator: Coordinator;
  readonly coordinatorTransport: Transport;
  readonly agents: Map<string, TestAgent>;
  /** Adds a peer (transport, pool, agent) and announces it in the membership. */
  addAgent(spec: AgentSpec): TestAgent;
  /** A transport for a submitter peer. */
  submitter(id: string): Transport;
  /**
   * Resolves when every peer's workers have started, as a mesh peer waits before it joins (peer/mesh-peer.ts).
   * Tests of placement and rebalancing await it: on a loaded machine a peer still starting its worker looks
   * stuck, and rebalancing rightly moves its queue to an idle peer.
   */
  ready(): Promise<void>;
  /** Takes a peer off the mesh the hard way: its transport closes, then membership says it left. */
  kill(id: string): Promise<void>;
  close(): Promise<void>;
}

export function createTestMesh(
  agents: readonly AgentSpec[],
  options: Partial<Omit<CoordinatorOptions, 'transport' | 'membership'>> = {},
): TestMesh {
  const network = new MemoryNetwork();
  const membership = createMemoryMembership();
  const coordinatorTransport = createMemoryTransport(network, 'coord');
  const coordinator = createCoordinator({
    transport: coordinatorTransport,
    membership,
    heartbeatIntervalMs: 0,
    ...options,
  });
  const map = new Map<string, TestAgent>();
  const extra: Transport[] = [];
  const closedPools = new Set<WorkerPool>();
  const addAgent = (spec: AgentSpec): TestAgent => {
    const transport = createMemoryTransport(network, spec.id);
    const slots = spec.slots ?? 1;
    const real = createWorkerPool({ size: slots, trustCode: spec.trustCode === true });
    const pool =
      spec.forge || spec.claimedSlots !== undefined
        ? forgingPool(real, {
            ...(!spec.forge && { forge: false as const }),
            ...(spec.claimedSlots !== undefined && { claimedSize: spec.claimedSlots }),
          })
        : real;
    const store = createMemoryStore();
    const agent = createPeerAgent({ transport, pool, store, statusIntervalMs: 10, ...spec.options });
    const a = { id: spec.id, transport, pool, store, agent };
    map.set(spec.id, a);
    membership.join({ peerId: spec.id, capabilities: nodeCapabilities(slots, spec.capabilities) });
    return a;
  };
  for (const spec of agents) addAgent(spec);
  return {
    network,
    membership,
    coordinator,
    coordinatorTransport,
    agents: map,
    addAgent,
    async ready() {
      await Promise.all([...map.values()].map((a) => a.pool.ready()));
    },
    submitter(id) {
      const t = createMemoryTransport(network, id);
      extra.push(t);
      return t;
    },
    async kill(id) {
      const a = map.get(id)!;
      await a.transport.close();
      membership.leave(id);
      closedPools.add(a.pool);
      await a.pool.close();
    },
    async close() {
      await coordinator.close();
      for (const a of map.values()) {
        await a.agent.close();
        if (!closedPools.has(a.pool)) await a.pool.close();
        await a.transport.close();
        await a.store.close().catch(() => {});
      }
      for (const t of extra) await t.close();
      await coordinatorTransport.close();
    },
  };
}

/** A layered DAG: `width` roots, then layers each summing two functions of the layer before. */
export function layeredDag(
  layers: number,
  width: number,
): { functions: FunctionSpec[]; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      const id = `l${l}w${w}`;
      if (l === 0) {
        functions.push(fn(id, [], '(k) => k', { extraArgs: [w] }));
        expected.set(id, w);
      } else {
        const a = `l${l - 1}w${w}`;
        const b = `l${l - 1}w${(w + 1) % width}`;
        functions.push(fn(id, [a, b], '(a, b) => a + b + 1'));
        expected.set(id, expected.get(a)! + expected.get(b)! + 1);
      }
    }
  }
  return { functions, expected };
}
