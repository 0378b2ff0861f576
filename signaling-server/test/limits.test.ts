import {
  connectSignaling,
  SIGNALING_PROTOCOL_VERSION,
  SignalingError,
  SignalingRefusedError,
} from '@handout/peer-runtime/signaling';
import { io, Manager, type Socket } from 'socket.io-client';
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
  rawPacket,
  record,
  startServer,
} from './helpers.js';

afterEach(cleanup);

const MB = 1_000_000;

function auth(token: string, extra: Record<string, unknown> = {}) {
  return { version: SIGNALING_PROTOCOL_VERSION, token, capabilities: caps(), ...extra };
}

/** Emits with an ack and resolves with it (or with 'timeout'). */
function ask(socket: Socket, event: string, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    socket
      .timeout(5000)
      .emit(event, ...args, (err: Error | null, ack: unknown) => resolve(err ? 'timeout' : ack));
  });
}

describe('per-address limits', () => {
  it('300 connections from one address with one token: at most the cap are admitted, the rest told why', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, () =>
        rawJoined(rawConnect(server.url, auth(token))).then(
          () => 'admitted',
          (refusal: { reason: string }) => refusal.reason,
        ),
      ),
    );
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    // The default burst (32 attempts) is spent first, a few more refill (4 per second) while the rest arrive,
    // and the cap (64) bounds what is open at once.
    const admitted = count('admitted');
    expect(admitted).toBeGreaterThanOrEqual(32);
    expect(admitted).toBeLessThanOrEqual(64);
    const limited = count('connection-rate-limited');
    const capped = count('too-many-connections');
    expect(admitted + limited + capped).toBe(300);
    expect(server.metrics()).toMatchObject({ connectedPeers: admitted });
    expect(server.metrics().refusals).toEqual({
      'connection-rate-limited': limited,
      ...(capped > 0 && { 'too-many-connections': capped }),
    });
  });

  it('a cap of concurrent sockets per address; a closed socket frees its slot', async () => {
    const server = await startServer({ maxConnectionsPerAddress: 2 });
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const first = await join(server, { token });
    await join(server, { token });
    const error = await join(server, { token }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignalingRefusedError);
    expect(error).toMatchObject({ reason: 'too-many-connections' });
    expect((error as Error).message).toMatch(/at most 2 per address/);
    await first.close();
    await delay(50);
    expect((await join(server, { token })).connected).toBe(true);
  });

  it('raw connections that never send a handshake are capped at twice the cap per address', async () => {
    const server = await startServer({ maxConnectionsPerAddress: 2 });
    const open = () => {
      const manager = new Manager(server.url, {
        transports: ['websocket'],
        reconnection: false,
        autoConnect: false,
      });
      return new Promise<Manager>((resolve, reject) =>
        manager.open((err) => (err ? reject(err) : resolve(manager))),
      );
    };
    const managers = [await open(), await open(), await open(), await open()];
    await expect(open()).rejects.toThrow();
    managers[0]!.engine.close();
    await delay(100);
    managers.push(await open());
    for (const m of managers) m.engine.close();
  });

  it('with trustProxy, the address is the last X-Forwarded-For hop', async () => {
    const server = await startServer({ trustProxy: true, maxConnectionsPerAddress: 1 });
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const via = (forwarded: string) =>
      io(server.url, {
        auth: auth(token),
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': forwarded },
      });
    const sockets = [via('6.6.6.6, 10.0.0.1'), via('6.6.6.6, 10.0.0.2'), via('7.7.7.7, 10.0.0.1')];
    const outcomes = await Promise.all(
      sockets.map((s) =>
        rawJoined(s).then(
          () => 'ok',
          (r: { reason: string }) => r.reason,
        ),
      ),
    );
    for (const s of sockets) s.disconnect();
    expect(outcomes).toEqual(['ok', 'ok', 'too-many-connections']);
  });
});

describe('sizes and shapes', () => {
  it('a 1 MB handshake is refused with handshake-too-large; a 10 MB one closes with 1009, reported as such', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const big = (bytes: number) =>
      connectSignaling({ url: server.url, token, capabilities: caps({ tags: ['x'.repeat(bytes)] }) }).then(
        () => undefined,
        (e: unknown) => e,
      );
    const oneMb = await big(MB);
    expect(oneMb).toBeInstanceOf(SignalingRefusedError);
    expect(oneMb).toMatchObject({ reason: 'handshake-too-large', details: { field: 'auth' } });
    expect((oneMb as Error).message).toMatch(/over the limit of 16 KiB/);
    const tenMb = await big(10 * MB);
    expect(tenMb).toBeInstanceOf(SignalingError);
    expect(tenMb).toMatchObject({ code: 'message-too-large' });
    expect(server.metrics().refusals).toEqual({ 'handshake-too-large': 1 });
  });

  it('a 1 MB event is refused with payload-too-large and the socket stays; a 10 MB one closes with 1009', async () => {
    const server = await startServer();
    const socket = rawConnect(server.url, auth(server.issueToken({ mesh: 'm1', roles: ['contribute'] })));
    await rawJoined(socket);
    const refused = await ask(socket, 'peer:update', { capabilities: { tags: ['x'.repeat(MB)] } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'payload-too-large', event: 'unknown' } });
    expect(await ask(socket, 'peer:update', { state: { paused: true } })).toEqual({ ok: true });

    const closed = new Promise<unknown>((r) => socket.once('disconnect', (_reason, details) => r(details)));
    socket.emit('peer:update', { capabilities: { tags: ['x'.repeat(10 * MB)] } });
    expect(await closed).toMatchObject({ context: { code: 1009 } });
    expect(server.metrics().rejectedEvents).toEqual({ 'payload-too-large': 1 });
  });

  it('non-object handshakes are refused with bad-handshake and a reason', async () => {
    const server = await startServer();
    for (const value of ['"a string"', '-1', '[1,2]', 'true', '{"broken']) {
      // socket.io-client always sends an object: write the CONNECT packet by hand.
      const answer = await rawPacket(server.url, `0${value}`);
      expect(answer).toMatch(/^4/); // CONNECT_ERROR
      expect(JSON.parse(answer.slice(1))).toMatchObject({
        message: 'the handshake (auth) is not a JSON object',
        data: { reason: 'bad-handshake', field: 'auth' },
      });
    }
    expect(server.metrics().refusals).toEqual({ 'bad-handshake': 5 });
  });

  it('undecodable and binary events are refused with malformed-packet; the socket and its peers carry on', async () => {
    const server = await startServer();
    const watcher = await join(server, { peerId: 'w' });
    const socket = rawConnect(server.url, auth(server.issueToken({ mesh: 'm1', roles: ['contribute'] })));
    await rawJoined(socket);
    const errors: unknown[] = [];
    socket.on('error', (e: unknown) => errors.push(e));
    // Raw engine.io messages: bad JSON, an event that is not an array, a client-sent CONNECT_ERROR.
    for (const raw of ['2["peer:update",{', '2{"not":"an array"}', '4"nope"', '9garbage'])
      socket.io.engine.write(raw);
    expect(await ask(socket, 'peer:update', new Uint8Array([1, 2, 3]))).toMatchObject({
      ok: false,
      error: { code: 'malformed-packet', message: 'binary events are not part of the signaling protocol' },
    });
    await delay(100);
    // Four raw packets, and the binary event's attachment frame that followed it.
    expect(errors).toHaveLength(5);
    expect(errors.every((e) => (e as { code: string }).code === 'malformed-packet')).toBe(true);
    expect(socket.connected).toBe(true);
    expect(await ask(socket, 'signal', { to: 'w', data: { type: 'offer', sdp: 'v=0' } })).toEqual({
      ok: true,
    });
    expect(watcher.connected).toBe(true);
  });
});

describe('coalesced member changes', () => {
  it('a burst of updates from one peer reaches the others as one change carrying the latest state', async () => {
    const server = await startServer();
    const watcher = await join(server, { peerId: 'w' });
    const busy = await join(server, { peerId: 'busy' });
    await knows(watcher, 'busy');
    const before = server.metrics().memberBroadcasts;
    const seen = record(watcher, 'peer:updated');
    for (let running = 1; running <= 10; running++) await busy.update({ state: { running } });
    await delay(250);
    expect(seen.map(([p]) => p.state.running)).toEqual([10]);
    expect(watcher.peer('busy')?.state.running).toBe(10);
    expect(server.metrics()).toMatchObject({ peerUpdates: 10, memberBroadcasts: before + 1 });
  });

  it('a change queued just before a peer leaves does not bring it back', async () => {
    const server = await startServer({ broadcastIntervalMs: 200, reconnectGraceMs: 0 });
    const watcher = await join(server, { peerId: 'w' });
    const leaving = await join(server, { peerId: 'gone' });
    await knows(watcher, 'gone');
    const before = server.metrics().memberBroadcasts;
    await leaving.update({ state: { paused: true } });
    const left = once(watcher, 'peer:left');
    await leaving.close();
    await left;
    await delay(300);
    expect(watcher.peer('gone')).toBeUndefined();
    expect(server.metrics().memberBroadcasts).toBe(before);
  });

  it('the per-mesh budget sends at most maxBroadcastPeers per broadcast, the rest in the next', async () => {
    const server = await startServer({ maxBroadcastPeers: 2, broadcastIntervalMs: 50 });
    const watcher = await join(server, { peerId: 'w' });
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const peers = await Promise.all(ids.map((peerId) => join(server, { peerId })));
    await knows(watcher, ...ids);
    await delay(100);
    const before = server.metrics();
    await Promise.all(peers.map((p) => p.update({ state: { paused: true } })));
    await delay(400);
    expect(watcher.peers().filter((p) => p.state.paused)).toHaveLength(5);
    const after = server.metrics();
    expect(after.memberBroadcasts - before.memberBroadcasts).toBe(3);
    expect(after.memberBroadcastPeers - before.memberBroadcastPeers).toBe(5);
  });
});
