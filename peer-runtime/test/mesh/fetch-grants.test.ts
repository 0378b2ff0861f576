/**
 * Fetch grants and digests (mesh/fetch-grants.ts) over the memory transport: holders serve a result only with a
 * ticket the coordinator issued for that hash and that fetcher, and fetched bytes are believed only when they
 * match the digest the coordinator recorded. The same attacks from a real process are in test/trust/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GrantIssuer, holderKey } from '../../src/mesh/fetch-grants.js';
import { staticMembers } from '../../src/mesh/members.js';
import { portOf } from '../../src/mesh/port.js';
import type { BatchableMessage, WireMessage } from '../../src/protocol/messages.js';
import { encodeValue } from '../../src/protocol/value-codec.js';
import type { Role } from '../../src/signaling/contract.js';
import { createMemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

const meshKey = new Uint8Array(32).fill(7);
const roles = new Map<string, readonly Role[]>([
  ['coord', ['coordinate', 'submit']],
  ['p1', ['contribute']],
  ['p2', ['contribute']],
  ['p3', ['contribute']],
  ['mallory', ['contribute']],
]);
const members = staticMembers(roles);
const agentOptions = (id: string) => ({ members, fetchKey: holderKey(meshKey, id) });

function inbox(t: Transport): BatchableMessage[] {
  const got: BatchableMessage[] = [];
  t.onMessage((_from, m: WireMessage) => {
    if (m.type === 'batch') got.push(...m.messages);
    else if (m.type !== 'hello' && m.type !== 'ping' && m.type !== 'pong') got.push(m);
  });
  return got;
}

/** 100 kB: too large to ride inline, so its consumer on another peer must fetch it. */
const BIG = "() => 'x'.repeat(100000)";

describe('fetch grants and digests', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  const setUp = () => {
    mesh = createTestMesh(
      [
        { id: 'p1', options: agentOptions('p1') },
        { id: 'p2', options: agentOptions('p2') },
      ],
      { members, meshKey },
    );
    const mallory = createMemoryTransport(mesh.network, 'mallory');
    return { mesh, mallory, got: inbox(mallory) };
  };

  it('a consumer on another peer fetches its input with the ticket of its assignment', async () => {
    const { mesh: m } = setUp();
    const run = m.coordinator.submit([
      { ...fn('big', [], BIG), node: { peer: 'p1' } },
      { ...fn('len', ['big'], '(s) => s.length'), node: { peer: 'p2' } },
    ]);
    expect(await run.result('len')).toBe(100_000);
    expect(m.agents.get('p1')!.agent.refusals().size).toBe(0);
  });

  it('a holder refuses result:fetch without a ticket, with a forged one, or with one issued to another peer', async () => {
    const { mesh: m, mallory, got } = setUp();
    const run = m.coordinator.submit([{ ...fn('secret', [], BIG), node: { peer: 'p1' } }]);
    await run.done;
    const hash = run.record('secret').hash;
    const forP2 = new GrantIssuer(meshKey).ticket('p1', hash, 'p2', 60_000);
    const forged = { exp: forP2.exp, mac: new Uint8Array(16).fill(1) };
    await mallory.send('p1', { type: 'result:fetch', requestId: 1, hash });
    await mallory.send('p1', { type: 'result:fetch', requestId: 2, hash, ticket: forged });
    await mallory.send('p1', { type: 'result:fetch', requestId: 3, hash, ticket: forP2 });
    await expect.poll(() => got.filter((g) => g.type === 'result:missing').length).toBe(3);
    expect(got.some((g) => g.type === 'result:data')).toBe(false);
    const errors = got.filter((g) => g.type === 'error');
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toMatchObject({ kind: 'result:fetch', missing: 'ticket' });
    expect((errors[0] as { message: string }).message).toContain("'mallory'");
    expect(m.agents.get('p1')!.agent.refusals().get('result:fetch ticket')).toBe(3);
    // A ticket minted for mallory itself is honoured: the check is the grant, not a blanket refusal.
    const own = new GrantIssuer(meshKey).ticket('p1', hash, 'mallory', 60_000);
    await mallory.send('p1', { type: 'result:fetch', requestId: 4, hash, ticket: own });
    await expect.poll(() => got.some((g) => g.type === 'result:data')).toBe(true);
  });

  it('bytes that do not match the digest are refused and the fetch moves to the next holder', async () => {
    const { mesh: m, mallory } = setUp();
    const run = m.coordinator.submit([{ ...fn('v', [], BIG), node: { peer: 'p1' } }]);
    await run.done;
    const hash = run.record('v').hash;
    // Mallory answers every fetch with forged bytes under the asked hash.
    mallory.onMessage((from, msg) => {
      const inner = msg.type === 'batch' ? msg.messages : [msg];
      for (const x of inner) {
        if (x.type !== 'result:fetch') continue;
        void mallory.send(from, {
          type: 'result:data',
          requestId: x.requestId,
          hash: x.hash,
          bytes: encodeValue('forged'),
        });
      }
    });
    const digest = m.coordinator.holders(hash).length > 0 ? run.location('v')!.digest : undefined;
    expect(digest).toHaveLength(32);
    const port = portOf(m.agents.get('p2')!.transport);
    const fetched = await port.fetch(hash, ['mallory', 'p1'], 5000, {
      digest: digest!,
      tickets: new GrantIssuer(meshKey).tickets(['mallory', 'p1'], hash, 'p2', 60_000),
    });
    expect(fetched?.from).toBe('p1');
    expect(port.forgedBytes).toBe(1);
    expect(m.agents.get('p2')!.agent.refusals().get('result:data digest')).toBe(1);
    // Without a holder serving the right bytes, nothing is returned (never the forged ones).
    expect(await port.fetch(hash, ['mallory'], 5000, { digest: digest! })).toBeUndefined();
  });

  it('a peer back under a new id with its cache is counted as a holder: the digest outlived the old id', async () => {
    const { mesh: m } = setUp();
    const run = m.coordinator.submit([{ ...fn('big', [], BIG), node: { peer: 'p1' } }]);
    await run.done;
    const hash = run.record('big').hash;
    const store = m.agents.get('p1')!.store;
    await m.kill('p1');
    await expect.poll(() => m.coordinator.holders(hash)).toEqual([]);
    // Like a reloaded page: the same cache, a new id, an untrusted token. Its announcement is checkable.
    m.addAgent({ id: 'p3', options: { ...agentOptions('p3'), store, coordinators: ['coord'] } });
    await expect.poll(() => m.coordinator.holders(hash)).toEqual(['p3']);
    const again = m.coordinator.submit([fn('big', [], BIG)]);
    expect((await again.done).functions[0]).toMatchObject({ cached: true });
    expect(await again.result('big')).toHaveLength(100_000);
    // A hash nobody ever reported a result for is not believed from an untrusted announcer.
    await portOf(m.agents.get('p3')!.transport).send('coord', {
      type: 'peer:status',
      running: 0,
      slots: 1,
      paused: false,
      added: ['f'.repeat(64)],
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(m.coordinator.holders('f'.repeat(64))).toEqual([]);
  });
});
