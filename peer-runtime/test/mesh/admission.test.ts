/**
 * The admission checks of both sides (agent/admission.ts, coordinator/admission.ts, outcomes.ts `match`) over the
 * memory transport: a member whose roles do not allow a message gets a typed refusal and nothing happens. The
 * same attacks over real WebRTC, from a real process, are in test/trust/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { staticMembers } from '../../src/mesh/members.js';
import type { BatchableMessage, WireMessage } from '../../src/protocol/messages.js';
import type { Role } from '../../src/signaling/contract.js';
import { createMemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

const roles = new Map<string, readonly Role[]>([
  ['coord', ['coordinate', 'submit']],
  ['p1', ['contribute']],
  ['p2', ['contribute']],
  ['mallory', ['contribute']],
]);
const members = staticMembers(roles);

/** Everything one transport receives, unwrapped from batches. */
function inbox(t: Transport): BatchableMessage[] {
  const got: BatchableMessage[] = [];
  t.onMessage((_from, m: WireMessage) => {
    if (m.type === 'batch') got.push(...m.messages);
    else if (m.type !== 'hello' && m.type !== 'ping' && m.type !== 'pong') got.push(m);
  });
  return got;
}

describe('admission: roles and assignments on every data-channel message', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  const setUp = (): { mesh: TestMesh; mallory: Transport; got: BatchableMessage[] } => {
    mesh = createTestMesh([{ id: 'p1', options: { members } }], { members });
    const mallory = createMemoryTransport(mesh.network, 'mallory');
    return { mesh, mallory, got: inbox(mallory) };
  };

  it('a peer agent refuses task:assign from a member without coordinate, names it, and runs nothing', async () => {
    const { mesh: m, mallory, got } = setUp();
    await mallory.send('p1', {
      type: 'task:assign',
      runId: 'evil',
      assignments: [
        {
          functionId: 'x',
          hash: 'h-x',
          attempt: 1,
          spec: { id: 'x', args: [], code: { kind: 'source', source: '() => 42' } },
          inputs: [],
        },
      ],
    });
    await expect.poll(() => got.find((g) => g.type === 'error')).toBeDefined();
    const error = got.find((g) => g.type === 'error')!;
    expect(error).toMatchObject({ code: 'refused', kind: 'task:assign', missing: 'coordinate' });
    expect((error as { message: string }).message).toContain("'mallory'");
    expect(got.some((g) => g.type === 'task:result' || g.type === 'task:failed')).toBe(false);
    expect(m.agents.get('p1')!.agent.refusals().get('task:assign coordinate')).toBe(1);
    expect(m.agents.get('p1')!.agent.assigned).toBe(0);
    // The honest coordinator is still served.
    const run = m.coordinator.submit([fn('a', [], '() => 7')]);
    expect(await run.result('a')).toBe(7);
  });

  it('the coordinator refuses dag:submit from a member without submit, and the sender hears run:rejected', async () => {
    const { mesh: m, mallory, got } = setUp();
    await mallory.send('coord', {
      type: 'dag:submit',
      runId: 'r-evil',
      dag: { format: 'handout-dag', version: 1, functions: [fn('a', [], '() => 1')] },
      options: {},
    });
    await expect.poll(() => got.find((g) => g.type === 'run:event')).toBeDefined();
    expect(got.find((g) => g.type === 'run:event')).toMatchObject({
      runId: 'r-evil',
      event: { kind: 'run:rejected' },
    });
    expect(got.find((g) => g.type === 'error')).toMatchObject({ kind: 'dag:submit', missing: 'submit' });
    expect(m.coordinator.refusals().get('dag:submit submit')).toBe(1);
    expect(m.coordinator.peers().find((p) => p.peerId === 'p1')?.used.cpu ?? 0).toBe(0);
  });

  it('a forged task:result is refused naming the function and peer, and never reaches the directory', async () => {
    const { mesh: m, mallory, got } = setUp();
    // A real run, so the run key exists and mallory can name it.
    const spec = fn('slow', [], '() => new Promise((r) => setTimeout(() => r("honest"), 300))');
    const run = m.coordinator.submit([spec]);
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    const hash = run.record('slow').hash;
    await mallory.send('coord', {
      type: 'task:result',
      runId: 'r1',
      functionId: 'slow',
      hash,
      attempt: 1,
      size: 3,
      durationMs: 1,
      inline: new Uint8Array([1, 2, 3]),
    });
    await expect.poll(() => got.find((g) => g.type === 'error')).toBeDefined();
    const error = got.find((g) => g.type === 'error') as { message: string; missing: string };
    expect(error.missing).toBe('assignment');
    expect(error.message).toContain("'slow'");
    expect(error.message).toContain("'mallory'");
    expect(await run.result('slow')).toBe('honest');
    expect(m.coordinator.holders(hash)).toEqual(['p1']);
    // A run under an unknown key, and a failure in someone else's name, are refused the same way.
    await mallory.send('coord', {
      type: 'task:failed',
      runId: 'r99',
      functionId: 'slow',
      hash,
      attempt: 1,
      reason: 'threw',
      message: 'no',
    });
    await expect.poll(() => m.coordinator.refusals().get('task:failed assignment')).toBe(1);
    expect(m.coordinator.refusals().get('task:result assignment')).toBe(1);
  });

  it('holdings are announced only to members holding coordinate', async () => {
    const { mesh: m, got } = setUp();
    const run = m.coordinator.submit([fn('a', [], '() => 1')]);
    await run.done;
    await m.agents.get('p1')!.agent.announce('mallory');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.filter((g) => g.type === 'peer:status')).toEqual([]);
  });

  it('messages from a sender the directory does not know are held, then refused as not a member', async () => {
    mesh = createTestMesh([{ id: 'p1', options: { members } }], { members });
    const stranger = createMemoryTransport(mesh.network, 'stranger');
    const got = inbox(stranger);
    await stranger.send('p1', { type: 'task:cancel', runId: 'r1', functionIds: ['a'], reason: 'x' });
    // Held first (the server's broadcast of a newcomer may trail its first message), refused after holdMs (5 s).
    await expect
      .poll(() => got.find((g) => g.type === 'error'), { timeout: 10_000 })
      .toMatchObject({ kind: 'task:cancel', missing: 'member' });
  });
});
