import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeSelector } from '../../src/dag/types.js';
import { createAllocator, STRATEGY_NAMES } from '../../src/scheduling/allocator.js';
import { planHeft } from '../../src/scheduling/heft.js';
import { resourceRequestOf } from '../../src/scheduling/needs.js';
import { createNetworkModel } from '../../src/scheduling/network.js';
import type { Allocator, PeerView, ReadyFunction } from '../../src/scheduling/types.js';
import { peer, spec } from './fixtures.js';

const TAGS = ['eu', 'us', 'gpu-box', 'edge'];

const peerArb = (i: number) =>
  fc
    .record({
      platform: fc.constantFrom('node' as const, 'browser' as const),
      cores: fc.integer({ min: 1, max: 4 }),
      usedCpu: fc.integer({ min: 0, max: 4 }),
      memoryMB: fc.constantFrom(512, 2048, 8192),
      gpu: fc.boolean(),
      tags: fc.subarray(TAGS),
      costRate: fc.double({ min: 0, max: 5, noNaN: true }),
      speed: fc.double({ min: 0.25, max: 8, noNaN: true }),
      licence: fc.integer({ min: 0, max: 2 }),
      paused: fc.boolean(),
    })
    .map(
      (r): PeerView =>
        peer(`p${i}`, {
          platform: r.platform,
          cores: r.cores,
          memoryMB: r.memoryMB,
          gpu: r.gpu,
          tags: r.tags,
          costRate: r.costRate,
          speed: r.speed,
          resources: r.licence > 0 ? { licence: r.licence } : {},
          paused: r.paused,
          used: { cpu: Math.min(r.usedCpu, r.cores), memoryMB: 0, resources: {} },
          running: Math.min(r.usedCpu, r.cores),
        }),
    );

const selectorArb: fc.Arbitrary<NodeSelector | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 5 }).map((i) => `p${i}`),
  fc.record(
    {
      peer: fc.integer({ min: 0, max: 5 }).map((i) => `p${i}`),
      platform: fc.constantFrom('node' as const, 'browser' as const),
      tags: fc.subarray(TAGS, { maxLength: 2 }),
      gpu: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
);

const functionArb = (i: number) =>
  fc
    .record({
      cpu: fc.constantFrom(0.5, 1, 2, 3),
      memoryMB: fc.constantFrom(0, 1024, 4096),
      gpu: fc.boolean(),
      licence: fc.integer({ min: 0, max: 2 }),
      estimateMs: fc.integer({ min: 1, max: 5000 }),
      node: selectorArb,
      inputBytes: fc.integer({ min: 0, max: 1e8 }),
      holder: fc.integer({ min: 0, max: 5 }),
    })
    .map(
      (r): ReadyFunction => ({
        spec: spec(
          `f${i}`,
          [],
          {
            cpu: r.cpu,
            memoryMB: r.memoryMB,
            gpu: r.gpu,
            estimateMs: r.estimateMs,
            ...(r.licence > 0 ? { resources: { licence: r.licence } } : {}),
          },
          r.node,
        ),
        inputs: [{ producerId: 'in', bytes: r.inputBytes, holders: [`p${r.holder}`] }],
      }),
    );

const meshArb = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => peerArb(i))))
  .chain((peers) =>
    fc
      .integer({ min: 1, max: 12 })
      .chain((m) => fc.tuple(...Array.from({ length: m }, (_, i) => functionArb(i))))
      .map((functions) => ({ peers, functions })),
  );

/** An oracle written apart from needs.ts, so a bug there cannot hide from this test. */
function meetsPinAndNeeds(p: PeerView, fn: ReadyFunction): boolean {
  const node = fn.spec.node;
  const cost = fn.spec.cost ?? {};
  if (typeof node === 'string' && node !== p.peerId) return false;
  if (typeof node === 'object') {
    if (node.peer !== undefined && node.peer !== p.peerId) return false;
    if (node.platform !== undefined && node.platform !== p.platform) return false;
    if ((node.tags ?? []).some((t) => !p.tags.includes(t))) return false;
    if (node.gpu === true && !p.gpu) return false;
  }
  if (cost.gpu === true && !p.gpu) return false;
  if ((cost.cpu ?? 1) > p.cores) return false;
  if ((cost.memoryMB ?? 0) > p.memoryMB) return false;
  return Object.entries(cost.resources ?? {}).every(([k, v]) => v <= (p.resources?.[k] ?? 0));
}

/** Check an allocation against the rule: each assignment meets pins and needs, and no peer is overfilled. */
function assertHonoured(allocator: Allocator, peers: PeerView[], functions: ReadyFunction[]): void {
  const network = createNetworkModel();
  const { assignments, waiting } = allocator.allocate({ functions, peers, network });
  const used = new Map(peers.map((p) => [p.peerId, { ...p.used, resources: { ...p.used.resources } }]));
  for (const a of assignments) {
    const p = peers.find((x) => x.peerId === a.peerId)!;
    const fn = functions.find((f) => f.spec.id === a.functionId)!;
    const req = resourceRequestOf(fn.spec);
    expect(meetsPinAndNeeds(p, fn), `${a.functionId} on ${a.peerId}`).toBe(true);
    expect(p.paused).toBe(false);
    const u = used.get(p.peerId)!;
    u.cpu += req.cpu;
    u.memoryMB += req.memoryMB;
    for (const [k, v] of Object.entries(req.resources)) u.resources[k] = (u.resources[k] ?? 0) + v;
    expect(u.cpu).toBeLessThanOrEqual(p.cores + 1e-9);
    expect(u.memoryMB).toBeLessThanOrEqual(p.memoryMB);
    for (const [k, v] of Object.entries(u.resources)) expect(v).toBeLessThanOrEqual(p.resources?.[k] ?? 0);
  }
  // Every function is either placed once or waiting with a reason.
  const ids = [...assignments.map((a) => a.functionId), ...waiting.map((w) => w.functionId)].sort();
  expect(ids).toEqual(functions.map((f) => f.spec.id).sort());
  for (const w of waiting) if (w.reason === 'unsatisfiable') expect(w.unmet).toBeTruthy();
}

describe('pins and needs are always honoured', () => {
  it.each(STRATEGY_NAMES)('by %s, over random meshes and functions', (name) => {
    fc.assert(
      fc.property(meshArb, ({ peers, functions }) => {
        assertHonoured(createAllocator(name), peers, functions);
      }),
      { numRuns: 150 },
    );
  });

  it('by time-optimized following a HEFT plan made before the mesh changed', () => {
    fc.assert(
      fc.property(meshArb, meshArb, (before, now) => {
        const plan = planHeft(
          now.functions.map((f) => f.spec),
          before.peers,
          createNetworkModel(),
        );
        assertHonoured(createAllocator('time-optimized', { plan }), now.peers, now.functions);
      }),
      { numRuns: 100 },
    );
  });

  it('by a custom allocator that places everything on a random peer', () => {
    fc.assert(
      fc.property(meshArb, fc.integer({ min: 0, max: 5 }), ({ peers, functions }, target) => {
        const careless: Allocator = {
          name: 'careless',
          allocate: ({ functions: fns }) => ({
            assignments: fns.map((f) => ({ functionId: f.spec.id, peerId: `p${target}` })),
            waiting: [],
          }),
        };
        assertHonoured(createAllocator(careless), peers, functions);
      }),
      { numRuns: 150 },
    );
  });
});
