import { SIGNALING_PROTOCOL_VERSION, signToken } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import {
  caps,
  cleanup,
  delay,
  join,
  knows,
  once,
  rawConnect,
  rawJoined,
  record,
  startProxy,
  startServer,
} from './helpers.js';

afterEach(cleanup);

describe('membership', () => {
  it('a peer that joins sees the members already there with their capabilities, and they see it', async () => {
    const server = await startServer();
    const a = await join(server, {
      peerId: 'a',
      capabilities: caps({ cores: 8, tags: ['gpu', 'eu'], gpu: true }),
    });
    const joined = once(a, 'peer:joined');
    const b = await join(server, {
      peerId: 'b',
      capabilities: caps({ platform: 'browser', speed: 2.5, costRate: 0.5, resources: { licence: 2 } }),
      roles: ['contribute'],
    });

    expect(b.peerId).toBe('b');
    expect(b.mesh).toBe('m1');
    expect(b.peers().map((p) => p.peerId)).toEqual(['a']);
    expect(b.peer('a')?.capabilities).toMatchObject({ cores: 8, tags: ['gpu', 'eu'], gpu: true });
    expect(b.peer('a')?.roles).toEqual(['contribute', 'submit', 'coordinate']);
    const [seen] = await joined;
    expect(seen.peerId).toBe('b');
    expect(seen.roles).toEqual(['contribute']);
    expect(seen.capabilities).toMatchObject({
      platform: 'browser',
      speed: 2.5,
      costRate: 0.5,
      resources: { licence: 2 },
    });
    expect(seen.state).toEqual({ running: 0, slots: 2, paused: false });
    expect((await server.peers('m1')).map((p) => p.peerId).sort()).toEqual(['a', 'b']);
  });

  it('peers of another mesh are invisible', async () => {
    const server = await startServer();
    await join(server, { peerId: 'a', mesh: 'm1' });
    const other = await join(server, { peerId: 'x', mesh: 'm2' });
    expect(other.peers()).toEqual([]);
    expect(server.metrics().meshes).toBe(2);
  });

  it('a peer without a chosen id gets one from the server and keeps it', async () => {
    const server = await startServer();
    const a = await join(server);
    expect(a.peerId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await server.peers())[0]?.peerId).toBe(a.peerId);
  });

  it('a token bound to a peer id makes that id the peer id', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'worker-7' });
    const a = await join(server, { token });
    expect(a.peerId).toBe('worker-7');
  });

  it('capability and state updates reach every other member and are kept for newcomers', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const updated = once(b, 'peer:updated');
    await a.update({ state: { running: 2, paused: true }, capabilities: { tags: ['eu'] } });

    const [info] = await updated;
    expect(info.peerId).toBe('a');
    expect(info.state).toEqual({ running: 2, slots: 2, paused: true });
    expect(info.capabilities.tags).toEqual(['eu']);
    expect(b.peer('a')?.state.paused).toBe(true);
    expect(a.self.state.running).toBe(2);
    const c = await join(server, { peerId: 'c' });
    expect(c.peer('a')?.state).toEqual({ running: 2, slots: 2, paused: true });
  });

  it('a peer that joins and leaves before its join was broadcast is never heard of', async () => {
    const server = await startServer({ broadcastIntervalMs: 200 });
    const a = await join(server, { peerId: 'a' });
    const joins = record(a, 'peer:joined');
    const lefts = record(a, 'peer:left');
    const b = await join(server, { peerId: 'b' });
    await b.close();
    await delay(400);
    expect(joins).toEqual([]);
    expect(lefts).toEqual([]);
    expect(a.peers()).toEqual([]);
  });

  it('a peer that closes is announced as left at once', async () => {
    const server = await startServer({ reconnectGraceMs: 60_000 });
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    await knows(a, 'b');
    const left = once(a, 'peer:left');
    await b.close();
    expect((await left)[0]).toEqual({ peerId: 'b', reason: 'left' });
    expect(a.peers()).toEqual([]);
    expect(server.metrics().departures).toEqual({ left: 1 });
  });

  it('a peer whose connection drops and comes back within the grace window keeps its membership', async () => {
    const server = await startServer({ reconnectGraceMs: 5000 });
    const proxy = await startProxy(server);
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { url: proxy.url, peerId: 'b' });
    await knows(a, 'b');
    const lefts = record(a, 'peer:left');
    const joins = record(a, 'peer:joined');
    const dropped = once(b, 'disconnect');
    const back = once(b, 'reconnect');

    proxy.cut();
    await dropped;
    await back;
    expect(b.connected).toBe(true);
    expect(b.peerId).toBe('b');
    expect(b.peers().map((p) => p.peerId)).toEqual(['a']);
    // Signals flow again over the new socket.
    const got = once(a, 'signal');
    b.sendSignal('a', { type: 'renegotiate', renegotiate: true });
    expect((await got)[0]).toBe('b');
    expect(lefts).toEqual([]);
    expect(joins).toEqual([]);
    expect(server.metrics().resumes).toBe(1);
  });

  it('a peer that comes back after its grace window rejoins as a new member, and its view catches up', async () => {
    const server = await startServer({ reconnectGraceMs: 300 });
    const proxy = await startProxy(server);
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { url: proxy.url, peerId: 'b' });
    const lost = once(a, 'peer:left', (m) => m.peerId === 'b');
    const rejoined = once(a, 'peer:joined', (p) => p.peerId === 'b');
    const bSawC = once(b, 'peer:joined', (p) => p.peerId === 'c');
    const back = once(b, 'reconnect');

    proxy.cut(1000);
    expect((await lost)[0].reason).toBe('lost');
    await join(server, { peerId: 'c' }); // joins while b is away
    await back;
    await rejoined;
    await bSawC;
    expect(b.peerId).toBe('b');
    expect(
      b
        .peers()
        .map((p) => p.peerId)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('a reconnect with an expired token is refused and closes the client, unless the token is refreshed', async () => {
    // No expiry warning and a long grace: this is about the reconnect, not the session's own expiry.
    const server = await startServer({ tokenRenewBeforeMs: 0, reconnectGraceMs: 60_000 });
    const proxy = await startProxy(server);
    const shortLived = (sub: string) =>
      signToken(
        { mesh: 'm1', roles: ['contribute'], sub, exp: Math.ceil(Date.now() / 1000) + 2 },
        server.secret,
      );
    const fixed = await join(server, { url: proxy.url, peerId: 'fixed', token: shortLived('fixed') });
    let issued = 0;
    const refreshed = await join(server, {
      url: proxy.url,
      peerId: 'refreshed',
      token: () =>
        issued++ === 0
          ? shortLived('refreshed')
          : server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'refreshed' }),
    });
    const closed = once(fixed, 'close', () => true, 8000);
    const back = once(refreshed, 'reconnect', () => true, 8000);
    proxy.cut(2500); // down until both first tokens (2–3 s of life) have expired

    const [error] = await closed;
    expect(error).toMatchObject({ name: 'SignalingRefusedError', reason: 'token-expired' });
    expect(fixed.connected).toBe(false);
    await back;
    expect(refreshed.connected).toBe(true);
  });

  it('a dropped peer that does not come back within the grace window is announced as lost', async () => {
    const server = await startServer({ reconnectGraceMs: 300 });
    const a = await join(server, { peerId: 'a' });
    const b = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token: server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
      peerId: 'b',
      capabilities: caps(),
    });
    await rawJoined(b);
    const left = once(a, 'peer:left');
    b.io.engine.close(); // the transport dies without a goodbye, as in a network failure
    const [message] = await left;
    expect(message).toEqual({ peerId: 'b', reason: 'lost' });
    expect(server.metrics().peers).toBe(1);
  });

  it('a reconnect that presents the resume key replaces a socket the server still thinks is alive', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const auth = {
      version: SIGNALING_PROTOCOL_VERSION,
      token: server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
      capabilities: caps(),
    };
    const first = rawConnect(server.url, { ...auth, peerId: 'b' });
    const { resumeKey } = await rawJoined(first);
    const lefts = record(a, 'peer:left');
    const kicked = new Promise<string>((r) => first.once('disconnect', r));

    const second = rawConnect(server.url, { ...auth, peerId: 'b', resumeKey });
    await rawJoined(second);
    expect(await kicked).toBe('io server disconnect');
    await delay(100);
    expect(lefts).toEqual([]);
    expect(server.metrics()).toMatchObject({ peers: 2, connectedPeers: 2, resumes: 1 });
  });
});
