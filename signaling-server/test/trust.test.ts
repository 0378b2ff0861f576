import { connectSignaling, SIGNALING_PROTOCOL_VERSION } from '@handout/peer-runtime/signaling';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveFetchKey, deriveMeshKey } from '../src/index.js';
import { caps, cleanup, delay, join, once, rawConnect, rawJoined, refusal, startServer } from './helpers.js';

afterEach(cleanup);

describe('ids that must not be taken over', () => {
  it("a contribute-only token cannot take a departed coordinator's id; the coordinator's own token can", async () => {
    const server = await startServer({ reconnectGraceMs: 0 });
    const coordToken = server.issueToken({ mesh: 'm1', roles: ['coordinate', 'contribute'], sub: 'coord' });
    const coordinator = await join(server, { token: coordToken });
    expect(coordinator.peerId).toBe('coord');
    const watcher = await join(server, { peerId: 'w' });
    const left = once(watcher, 'peer:left', (m) => m.peerId === 'coord');
    await coordinator.close();
    await left;

    const unbound = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const error = await refusal(join(server, { token: unbound, peerId: 'coord' }));
    expect(error).toMatchObject({ reason: 'peer-id-reserved', details: { field: 'auth.peerId' } });
    expect(error.message).toMatch(/reserved for that subject/);
    const otherSub = server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'coord-2' });
    expect((await refusal(join(server, { token: otherSub, peerId: 'coord' }))).reason).toBe(
      'peer-id-mismatch',
    );

    const back = await join(server, { token: coordToken });
    expect(back.peerId).toBe('coord');
    expect(server.metrics().refusals).toMatchObject({ 'peer-id-reserved': 1 });
  });

  it('the reservation ends after idReserveMs; an id first held by an unbound token stays with unbound tokens', async () => {
    const server = await startServer({ reconnectGraceMs: 0, idReserveMs: 300 });
    const unbound = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const first = await join(server, { token: unbound, peerId: 'x' });
    await first.close();
    await delay(50);
    // Another unbound token of the mesh may take it (the owner handed out interchangeable tokens) ...
    const again = await join(server, { token: unbound, peerId: 'x' });
    await again.close();
    await delay(50);
    // ... a bound one may not, until the reservation has run out.
    const bound = server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'x' });
    expect((await refusal(join(server, { token: bound }))).reason).toBe('peer-id-reserved');
    expect(server.metrics().reservedIds).toBe(1);
    await delay(350);
    expect((await join(server, { token: bound })).peerId).toBe('x');
  });

  it('a resume with the resume key but a token of another subject is refused', async () => {
    const server = await startServer({ reconnectGraceMs: 60_000 });
    const auth = (token: string) => ({
      version: SIGNALING_PROTOCOL_VERSION,
      token,
      peerId: 'v',
      capabilities: caps(),
    });
    const victim = rawConnect(
      server.url,
      auth(server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'v' })),
    );
    const { resumeKey } = await rawJoined(victim);
    victim.io.engine.close();
    await delay(100);
    const unbound = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const thief = rawConnect(server.url, { ...auth(unbound), resumeKey });
    await expect(rawJoined(thief)).rejects.toMatchObject({ reason: 'peer-id-taken' });
  });

  it('ids are structured keys: a mesh and id that would concatenate alike do not collide', async () => {
    const server = await startServer();
    const a = await join(server, { mesh: 'a', peerId: 'b:c' });
    const b = await join(server, { mesh: 'a:b', peerId: 'c' });
    expect([a.peerId, b.peerId]).toEqual(['b:c', 'c']);
    expect(server.metrics()).toMatchObject({ peers: 2, meshes: 2 });
    for (const peerId of ['a\u0000b', 'caf\u00e9', '\u202eevil', 'a b', 'x'.repeat(65)]) {
      const socket = rawConnect(server.url, {
        version: SIGNALING_PROTOCOL_VERSION,
        token: server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
        peerId,
        capabilities: caps(),
      });
      await expect(rawJoined(socket)).rejects.toMatchObject({
        reason: 'bad-handshake',
        field: 'auth.peerId',
      });
    }
  });
});

describe('coordinators', () => {
  it('a coordinate token without sub, minted elsewhere, is refused with coordinate-unbound', async () => {
    const server = await startServer();
    const token = await new SignJWT({ mesh: 'm1', roles: ['coordinate'] })
      .setProtectedHeader({ alg: 'HS256', kid: server.kid })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(server.secret));
    const error = await refusal(connectSignaling({ url: server.url, token, capabilities: caps() }));
    expect(error).toMatchObject({ reason: 'coordinate-unbound', details: { field: 'token.payload.sub' } });
    expect(() => server.issueToken({ mesh: 'm1', roles: ['coordinate'] })).toThrow(/bound to one peer id/);
  });

  it('only members holding coordinate get the mesh key; it is the same on every server with the secret', async () => {
    const secret = 'shared-secret';
    const one = await startServer({ secret });
    const two = await startServer({ secret });
    const other = await startServer({ secret: 'another' });
    const token = (s: typeof one, roles: ('coordinate' | 'contribute')[], sub: string) =>
      s.issueToken({ mesh: 'm1', roles, sub });
    const c1 = await join(one, { token: token(one, ['coordinate'], 'c') });
    const worker = await join(one, {
      token: token(one, ['contribute', 'coordinate'], 'w'),
      roles: ['contribute'],
    });
    const c2 = await join(two, { token: token(two, ['coordinate'], 'c') });
    const c3 = await join(other, { token: token(other, ['coordinate'], 'c') });
    const c4 = await join(one, { token: one.issueToken({ mesh: 'm2', roles: ['coordinate'], sub: 'c' }) });

    expect(c1.meshKey).toHaveLength(32);
    expect(worker.meshKey).toBeUndefined();
    expect(c2.meshKey).toEqual(c1.meshKey);
    expect(Buffer.from(c1.meshKey!).toString('base64url')).toBe(deriveMeshKey(secret, 'm1'));
    expect(c3.meshKey).not.toEqual(c1.meshKey);
    expect(c4.meshKey).not.toEqual(c1.meshKey);
    // Every member gets a fetch key of its own (to check fetch tickets with), derived from the mesh key and its id.
    expect(worker.fetchKey).toHaveLength(32);
    expect(Buffer.from(worker.fetchKey!).toString('base64url')).toBe(deriveFetchKey(secret, 'm1', 'w'));
    expect(c1.fetchKey).not.toEqual(worker.fetchKey);
    expect(c2.fetchKey).toEqual(c1.fetchKey);
    expect(worker.fetchKey).not.toEqual(c1.meshKey);
    // After a restart the key is the same again.
    await c1.close();
    expect((await join(one, { token: token(one, ['coordinate'], 'c') })).meshKey).toEqual(c2.meshKey);
  });
});

describe('roles and trust reach every peer', () => {
  it("every member sees each peer's roles and trusted mark, in the snapshot and on join", async () => {
    const server = await startServer();
    const owned = server.issueToken({
      mesh: 'm1',
      roles: ['contribute', 'coordinate'],
      sub: 'mine',
      trusted: true,
    });
    const first = await join(server, { token: owned });
    expect(first.self).toMatchObject({ peerId: 'mine', roles: ['contribute', 'coordinate'], trusted: true });
    const joined = once(first, 'peer:joined');
    const stranger = await join(server, { token: server.issueToken({ mesh: 'm1', roles: ['contribute'] }) });
    expect((await joined)[0]).toMatchObject({ roles: ['contribute'], trusted: false });
    expect(stranger.peer('mine')).toMatchObject({ roles: ['contribute', 'coordinate'], trusted: true });
  });
});
