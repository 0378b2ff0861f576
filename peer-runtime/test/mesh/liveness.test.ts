import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorEvents } from '../../src/coordinator/coordinator.js';
import { nodeCapabilities } from '../../src/mesh/membership.js';
import type { FrameLink } from '../../src/transport/frame-link.js';
import type { FramedTransport } from '../../src/transport/framed-transport.js';
import { createTestMesh, fn, layeredDag, type TestMesh } from './helpers.js';

/** Slow on its first attempt anywhere (a marker file remembers), instant after. */
const slowFirstTime = `(marker) => {
  const fs = globalThis.process.getBuiltinModule('node:fs');
  if (!fs.existsSync(marker)) {
    fs.writeFileSync(marker, 'seen');
    return new Promise((resolve) => setTimeout(() => resolve('slow'), 30000));
  }
  return 'fast';
}`;

/**
 * Lets a memory peer freeze on demand, like a hung process: its connections stay up, but frames neither reach it
 * nor leave it, so it answers nothing (not even pings).
 */
function freezable(transport: unknown): { freeze(): void; thaw(): void } {
  const framed = transport as FramedTransport;
  const accept = framed.accept.bind(framed);
  let frozen = false;
  framed.accept = (peerId: string, link: FrameLink) => {
    const channel = link.channel;
    const muted = new Proxy(channel, {
      get(target, key) {
        if (key === 'send')
          return (data: Uint8Array) => {
            if (!frozen) target.send(data);
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set: (target, key, value) => Reflect.set(target, key, value),
    });
    accept(peerId, {
      ...link,
      channel: muted,
      onFrame: (listener) =>
        link.onFrame((frame) => {
          if (!frozen) listener(frame);
        }),
    });
  };
  return {
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
    },
  };
}

describe('peer liveness', () => {
  let mesh: TestMesh | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'handout-liveness-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('a peer that reconnects after a blip re-announces its cache at once, before any new assignment', async () => {
    mesh = createTestMesh([{ id: 'p1', options: { inlineLimitBytes: 0 } }]);
    const { functions, expected } = layeredDag(2, 5);
    const first = mesh.coordinator.submit(functions);
    expect((await first.done).status).toBe('succeeded');
    const hashes = first.records().map((r) => r.hash);
    for (const h of hashes) expect(mesh.coordinator.holders(h)).toEqual(['p1']);

    const lost = new Promise<CoordinatorEvents['peer:lost']>((resolve) =>
      mesh!.coordinator.on('peer:lost', resolve),
    );
    mesh.agents.get('p1')!.transport.disconnect('coord');
    expect((await lost).peerId).toBe('p1');
    // The coordinator forgot p1's holdings with the loss; p1 tells it again as soon as they reconnect.
    await expect.poll(() => hashes.every((h) => mesh!.coordinator.holders(h).includes('p1'))).toBe(true);

    const second = mesh.coordinator.submit(functions);
    let started = 0;
    second.on('task:started', () => started++);
    const summary = await second.done;
    expect(summary.status).toBe('succeeded');
    expect(started).toBe(0);
    expect(await second.result('l1w3')).toBe(expected.get('l1w3'));
  });

  it('a peer that goes silent mid-run is pinged, given up on, and its work re-runs elsewhere', async () => {
    mesh = createTestMesh([{ id: 'p1', trustCode: true }], { heartbeatIntervalMs: 100 });
    const p1 = freezable(mesh.agents.get('p1')!.transport);
    const lost: CoordinatorEvents['peer:lost'][] = [];
    mesh.coordinator.on('peer:lost', (e) => lost.push(e));
    const run = mesh.coordinator.submit([fn('f', [], slowFirstTime, { extraArgs: [join(dir, 'silent')] })]);
    // Frozen once it holds the function (not merely once it was assigned: the assignment must have arrived).
    await expect.poll(() => mesh!.agents.get('p1')!.agent.assigned).toBe(1);
    mesh.addAgent({ id: 'p2', trustCode: true });
    p1.freeze();
    expect(await run.result('f')).toBe('fast');
    expect(lost.map((e) => e.peerId)).toEqual(['p1']);
    expect(lost[0]!.reason).toContain('stopped answering');
    const record = run.records()[0]!;
    expect(record.peer).toBe('p2');
    expect(record.history.map((h) => h.peer)).toEqual(['p1', 'p2']);
    expect(record.history[0]!.error).toContain('peer-lost');
  }, 15_000);

  it('a peer given up on while hung, whose connection then failed, is used again once it is back', async () => {
    mesh = createTestMesh(
      [
        { id: 'p1', trustCode: true },
        { id: 'p2', trustCode: true },
      ],
      {
        heartbeatIntervalMs: 100,
        unsatisfiableTimeoutMs: 3000,
      },
    );
    const p1 = freezable(mesh.agents.get('p1')!.transport);
    const lost: CoordinatorEvents['peer:lost'][] = [];
    mesh.coordinator.on('peer:lost', (e) => lost.push(e));
    const run = mesh.coordinator.submit([
      fn('f', [], slowFirstTime, { extraArgs: [join(dir, 'hung')], node: 'p1' }),
    ]);
    await expect.poll(() => mesh!.agents.get('p1')!.agent.assigned).toBe(1);
    p1.freeze();
    await expect.poll(() => lost.length, { timeout: 10_000 }).toBe(1);
    expect(lost[0]!.reason).toContain('stopped answering');
    // While it was hung its data channel died (the coordinator's side sees it close), and the membership never
    // said it left: a SIGSTOPped process keeps its signaling socket. Then it comes back and publishes its state.
    const framed = mesh.coordinatorTransport as unknown as {
      byPeer: Map<string, unknown>;
      drop(connection: unknown, reason: string): void;
    };
    framed.drop(framed.byPeer.get('p1'), 'failed');
    p1.thaw();
    mesh.membership.update({
      peerId: 'p1',
      capabilities: nodeCapabilities(1),
      state: { running: 0, slots: 1, paused: false },
    });
    expect(await run.result('f')).toBe('fast');
    const record = run.records()[0]!;
    expect(record.peer).toBe('p1');
    const again = mesh.coordinator.submit([fn('g', [], '(x) => x * 2', { extraArgs: [21], node: 'p1' })]);
    expect(await again.result('g')).toBe(42);
  }, 20_000);
});
