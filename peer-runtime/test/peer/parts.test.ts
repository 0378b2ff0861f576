/** The small parts of a Node mesh peer: capabilities, calibration, token claims, the signaling membership adapter. */
import { afterEach, describe, expect, it } from 'vitest';
import { calibrateSpeed } from '../../src/peer/calibration.js';
import { buildCapabilities, CapabilityError } from '../../src/peer/capabilities.js';
import { createSignalingMembership } from '../../src/peer/signaling-membership.js';
import { detectPlatform as detectBrowser } from '../../src/platform/capabilities.browser.js';
import { detectPlatform as detectNode } from '../../src/platform/capabilities.node.js';
import type { SignalingClient, SignalingClientEvents } from '../../src/signaling/client.js';
import type { PeerInfo } from '../../src/signaling/contract.js';
import { signToken } from '../../src/signaling/token.js';
import { readTokenClaims, TokenFormatError } from '../../src/signaling/token-claims.js';
import type { WorkerPool } from '../../src/worker/pool.js';
import { createWorkerPool } from '../../src/worker/pool.node.js';

describe('capabilities', () => {
  it('a Node peer reports its cores and memory and never a GPU', async () => {
    const facts = await detectNode();
    expect(facts.platform).toBe('node');
    expect(facts.cores).toBeGreaterThanOrEqual(1);
    expect(facts.memoryMB).toBeGreaterThan(0);
    expect(facts.gpu).toBe(false);
  });

  it('a browser peer counts WebGPU only when an adapter is granted', async () => {
    const withAdapter = await detectBrowser({
      hardwareConcurrency: 8,
      deviceMemory: 4,
      gpu: { requestAdapter: async () => ({}) },
    });
    expect(withAdapter).toEqual({ platform: 'browser', cores: 8, memoryMB: 4096, gpu: true });
    const noAdapter = await detectBrowser({
      hardwareConcurrency: 2,
      gpu: { requestAdapter: async () => null },
    });
    expect(noAdapter).toEqual({ platform: 'browser', cores: 2, memoryMB: 2048, gpu: false });
  });

  it('the operator choices override the facts, and a bad choice names its field', () => {
    const facts = { platform: 'node' as const, cores: 8, memoryMB: 1000, gpu: false };
    expect(
      buildCapabilities(facts, { concurrency: 2, tags: ['eu', 'eu', 'ssd'], costRate: 0.5 }, 1.5),
    ).toEqual({
      platform: 'node',
      cores: 2,
      memoryMB: 1000,
      gpu: false,
      tags: ['eu', 'ssd'],
      costRate: 0.5,
      speed: 1.5,
    });
    expect(() => buildCapabilities(facts, { concurrency: 0 }, 1)).toThrow(CapabilityError);
    expect(() => buildCapabilities(facts, { costRate: -1 }, 1)).toThrow(/cost rate/);
    expect(() => buildCapabilities(facts, { tags: [''] }, 1)).toThrow(
      expect.objectContaining({ field: 'tags' }),
    );
  });
});

describe('calibration', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it('scores a worker by the fastest of its rounds, higher for less time', async () => {
    pool = createWorkerPool({ size: 1 });
    const full = await calibrateSpeed(pool, { rounds: 2, iterations: 400_000 });
    expect(full.rounds).toHaveLength(2);
    expect(full.bestMs).toBe(Math.min(...full.rounds));
    expect(full.speed).toBeGreaterThan(0);
  });
});

describe('token claims', () => {
  it('reads mesh, roles and subject without the secret, and names a malformed token', () => {
    const token = signToken(
      { mesh: 'm1', roles: ['submit', 'coordinate'], exp: 4_000_000_000, sub: 'me', trusted: true },
      'secret',
    );
    expect(readTokenClaims(token)).toEqual({
      mesh: 'm1',
      roles: ['submit', 'coordinate'],
      exp: 4_000_000_000,
      sub: 'me',
      trusted: true,
    });
    expect(() => readTokenClaims('nonsense')).toThrow(TokenFormatError);
    expect(() => readTokenClaims('eyJtZXNoIjoibSJ9.c2ln')).toThrow(/pre-JWT handout token/);
    expect(() => readTokenClaims('a.b.c')).toThrow(/malformed/);
  });
});

describe('signaling membership', () => {
  const info = (peerId: string, roles: PeerInfo['roles']): PeerInfo => ({
    peerId,
    roles,
    capabilities: { platform: 'node', cores: 1, memoryMB: 1, gpu: false, tags: [], costRate: 0, speed: 1 },
    state: { running: 0, slots: 1, paused: false },
    joinedAt: 0,
  });

  function fakeClient(self: PeerInfo, others: PeerInfo[]) {
    const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
    const client = {
      self,
      peers: () => others,
      on(event: keyof SignalingClientEvents, l: (...a: unknown[]) => void) {
        const set = listeners.get(event) ?? new Set();
        listeners.set(event, set);
        set.add(l);
        return () => set.delete(l);
      },
    } as unknown as SignalingClient;
    const emit = (event: string, payload: unknown) => {
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    return { client, emit, listeners };
  }

  it('lists the local peer among the members only when it contributes, and forwards joins, updates and leaves', () => {
    const other = info('b', ['contribute']);
    const coordinatorOnly = fakeClient(info('a', ['coordinate']), [other]);
    expect(
      createSignalingMembership(coordinatorOnly.client)
        .peers()
        .map((m) => m.peerId),
    ).toEqual(['b']);

    const contributing = fakeClient(info('a', ['contribute', 'coordinate']), [other]);
    const membership = createSignalingMembership(contributing.client);
    expect(membership.peers().map((m) => m.peerId)).toEqual(['a', 'b']);
    const seen: string[] = [];
    membership.on('peer:joined', (m) => seen.push(`joined ${m.peerId}`));
    membership.on('peer:updated', (m) => seen.push(`updated ${m.peerId}`));
    membership.on('peer:left', (m) => seen.push(`left ${m.peerId}`));
    contributing.emit('peer:joined', info('c', ['contribute']));
    contributing.emit('peer:updated', info('c', ['contribute']));
    contributing.emit('peer:left', { peerId: 'c', reason: 'left' });
    membership.selfChanged();
    expect(seen).toEqual(['joined c', 'updated c', 'left c', 'updated a']);
    membership.close();
    expect([...contributing.listeners.values()].every((s) => s.size === 0)).toBe(true);
  });
});
