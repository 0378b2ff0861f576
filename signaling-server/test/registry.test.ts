/**
 * The registry contract, run against both implementations: the in-memory one and the Redis one (a real
 * redis-server started by the test). Each assertion is one the server relies on for its guarantees: a live id
 * needs its resume key and subject, a left id stays reserved for its subject, every change names the socket
 * holding the record, and an expired record is handed out by one sweep only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisRegistry } from '../src/redis-registry.js';
import { MemoryRegistry } from '../src/registry.js';
import type { Claim, PeerRegistry } from '../src/registry-types.js';
import { hashResumeKey } from '../src/resume-key.js';
import { useRedisServer } from './fixtures/redis-server.js';
import { caps } from './helpers.js';

const redisServer = useRedisServer({ beforeAll, afterAll });

const reservations = { reserveMs: 60_000, maxPerMesh: 3 };
let prefixes = 0;

const implementations: [string, () => Promise<PeerRegistry>][] = [
  ['memory', async () => new MemoryRegistry(reservations)],
  [
    'redis',
    async () =>
      createRedisRegistry(await connectRedis(redisServer().url, (e) => console.warn(e)), {
        ...reservations,
        prefix: `t${prefixes++}:`,
        liveTtlMs: 60_000,
      }),
  ],
];

function claim(overrides: Partial<Claim> = {}): Claim {
  return {
    mesh: 'm',
    peerId: 'p',
    resumeKeyHash: undefined,
    newResumeKeyHash: hashResumeKey('key-1'),
    socketId: 's1',
    roles: ['contribute'],
    subject: 'p',
    trusted: false,
    tokenExp: 2_000_000_000,
    capabilities: caps({ tags: [] }),
    state: { running: 0, slots: 2, paused: false },
    ...overrides,
  };
}

describe.each(implementations)('the %s registry', (_name, open) => {
  it('a new id joins; the same id without its resume key is taken; with it (and the same subject) it resumes', async () => {
    const r = await open();
    const joined = await r.claim(claim());
    expect(joined).toMatchObject({ ok: true, kind: 'joined', record: { peerId: 'p', socketId: 's1' } });
    expect(await r.claim(claim({ socketId: 's2' }))).toMatchObject({
      ok: false,
      refusal: { reason: 'peer-id-taken', field: 'auth.peerId' },
    });
    expect(
      await r.claim(claim({ socketId: 's2', resumeKeyHash: hashResumeKey('key-1'), subject: 'other' })),
    ).toMatchObject({ ok: false, refusal: { reason: 'peer-id-taken' } });
    const resumed = await r.claim(
      claim({
        socketId: 's2',
        resumeKeyHash: hashResumeKey('key-1'),
        state: { running: 1, slots: 2, paused: true },
      }),
    );
    expect(resumed).toMatchObject({ ok: true, kind: 'resumed', replacedSocketId: 's1' });
    if (!resumed.ok || !joined.ok) throw new Error('unreachable');
    // The record keeps its first join time and shows the new state, and `before` is what the others knew.
    expect(resumed.record.joinedAt).toBe(joined.record.joinedAt);
    expect(resumed.record.state.paused).toBe(true);
    expect(resumed.kind === 'resumed' && resumed.before.state.paused).toBe(false);
    // Empty arrays survive the store (capabilities.tags: []).
    expect((await r.get('m', 'p'))?.capabilities.tags).toEqual([]);
    await r.close();
  });

  it('changes name the socket holding the record: a replaced socket can neither update nor remove it', async () => {
    const r = await open();
    await r.claim(claim());
    await r.claim(claim({ socketId: 's2', resumeKeyHash: hashResumeKey('key-1') }));
    expect(
      await r.update('m', 'p', 's1', { state: { running: 9, slots: 2, paused: false } }),
    ).toBeUndefined();
    expect(await r.suspend('m', 'p', 's1', 1000)).toBe(false);
    expect(await r.remove('m', 'p', 's1')).toBeUndefined();
    expect((await r.get('m', 'p'))?.socketId).toBe('s2');
    const updated = await r.update('m', 'p', 's2', { state: { running: 3, slots: 2, paused: false } });
    expect(updated?.state.running).toBe(3);
    expect((await r.members('m')).map((m) => m.state.running)).toEqual([3]);
    expect((await r.remove('m', 'p', 's2'))?.peerId).toBe('p');
    expect(await r.members('m')).toEqual([]);
    expect(await r.meshNames()).toEqual([]);
    await r.close();
  });

  it('a left id stays reserved for its subject; the oldest reservations go beyond the cap', async () => {
    const r = await open();
    await r.claim(claim());
    await r.remove('m', 'p', 's1');
    expect(await r.claim(claim({ socketId: 's2', subject: 'intruder' }))).toMatchObject({
      ok: false,
      refusal: { reason: 'peer-id-reserved', field: 'auth.peerId' },
    });
    expect(await r.claim(claim({ socketId: 's3', subject: null }))).toMatchObject({
      ok: false,
      refusal: { reason: 'peer-id-reserved' },
    });
    expect(await r.claim(claim({ socketId: 's4' }))).toMatchObject({ ok: true, kind: 'joined' });
    await r.remove('m', 'p', 's4');
    // Three more ids leave: the cap of 3 forgets 'p' first.
    for (const id of ['a', 'b', 'c']) {
      await r.claim(claim({ peerId: id, subject: id, socketId: `x-${id}` }));
      await r.remove('m', id, `x-${id}`);
    }
    expect(await r.claim(claim({ socketId: 's5', subject: 'intruder' }))).toMatchObject({ ok: true });
    await r.close();
  });

  it('a suspended record expires after its grace, once, and its id is then reserved', async () => {
    const r = await open();
    await r.claim(claim());
    await r.claim(claim({ peerId: 'q', subject: 'q', socketId: 'sq' }));
    expect(await r.suspend('m', 'p', 's1', 500)).toBe(true);
    expect((await r.get('m', 'p'))?.socketId).toBeNull();
    expect(await r.expire()).toEqual([]);
    await new Promise((res) => setTimeout(res, 600));
    const [first, second] = await Promise.all([r.expire(), r.expire()]);
    expect([...first, ...second].map((g) => g.peerId)).toEqual(['p']);
    expect(r.gauges()).toMatchObject({ peers: 1, meshes: 1, reservedIds: 1 });
    expect((await r.members('m')).map((m) => m.peerId)).toEqual(['q']);
    await r.close();
  });

  it('meshes are apart: the same id in two meshes are two records', async () => {
    const r = await open();
    await r.claim(claim({ mesh: 'a' }));
    expect(await r.claim(claim({ mesh: 'b', socketId: 's2' }))).toMatchObject({ ok: true, kind: 'joined' });
    expect((await r.meshNames()).sort()).toEqual(['a', 'b']);
    expect(await r.members('a', 'p')).toEqual([]);
    await r.close();
  });
});
