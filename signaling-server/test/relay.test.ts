import { SIGNALING_PROTOCOL_VERSION, type SignalData } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import { caps, cleanup, delay, join, once, rawConnect, rawJoined, record, startServer } from './helpers.js';

afterEach(cleanup);

type Reply = { ok: boolean; error?: { code: string; field?: string; event: string; peerId?: string } };

const offer: SignalData = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };

describe('signal relay', () => {
  it('offers, answers and candidates reach the addressed peer of the same mesh verbatim, with the sender named', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const c = await join(server, { peerId: 'c' });
    const atC = record(c, 'signal');
    const candidate: SignalData = {
      type: 'candidate',
      candidate: {
        candidate: 'candidate:1 1 UDP 2122317823 10.0.0.1 40000 typ host',
        sdpMLineIndex: 0,
        sdpMid: '0',
      },
    };

    const atB = once(b, 'signal');
    await a.sendSignalAndWait('b', offer);
    expect(await atB).toEqual(['a', offer]);
    const atA = once(a, 'signal', (from) => from === 'b');
    b.sendSignal('a', candidate);
    expect(await atA).toEqual(['b', candidate]);
    expect(atC).toEqual([]);
    expect(server.metrics().signalsRelayed).toBe(2);
  });

  it('a signal to a peer of another mesh is refused as unknown and never delivered', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a', mesh: 'm1' });
    const x = await join(server, { peerId: 'x', mesh: 'm2' });
    const atX = record(x, 'signal');
    await expect(a.sendSignalAndWait('x', offer)).rejects.toMatchObject({
      code: 'unknown-peer',
      details: { peerId: 'x', field: 'to' },
    });
    const errored = once(a, 'error');
    a.sendSignal('x', offer);
    expect((await errored)[0]).toMatchObject({ code: 'unknown-peer', details: { peerId: 'x' } });
    await delay(50);
    expect(atX).toEqual([]);
  });

  it('signals that arrive before the peer listens (its transport is not assembled yet) reach its first listener, in order', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const answer: SignalData = { type: 'answer', sdp: 'v=0' };
    await a.sendSignalAndWait('b', offer);
    await a.sendSignalAndWait('b', answer);
    await delay(50);
    const heard: [string, SignalData][] = [];
    b.onSignal((from, data) => heard.push([from, data]));
    await delay(10);
    expect(heard).toEqual([
      ['a', offer],
      ['a', answer],
    ]);
  });

  it('the WebRTC transport sees a SignalRelay: sendSignal out, onSignal in, unsubscribe stops delivery', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const heard: [string, SignalData][] = [];
    const off = b.onSignal((from, data) => heard.push([from, data]));
    a.sendSignal('b', { type: 'answer', sdp: 'v=0' });
    await once(b, 'signal');
    off();
    await a.sendSignalAndWait('b', offer);
    await delay(50);
    expect(heard).toEqual([['a', { type: 'answer', sdp: 'v=0' }]]);
  });
});

describe('bad events', () => {
  async function rawPeer(server: Awaited<ReturnType<typeof startServer>>, peerId: string) {
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const socket = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token,
      peerId,
      capabilities: caps(),
    });
    await rawJoined(socket);
    const ask = (event: string, ...args: unknown[]) =>
      new Promise<Reply>((resolve) => socket.emit(event, ...args, (reply: Reply) => resolve(reply)));
    return { socket, ask };
  }

  it('malformed signals get an error naming the field, and the server keeps serving the others', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const { ask } = await rawPeer(server, 'evil');

    expect(await ask('signal', { to: 42, data: offer })).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', field: 'to', event: 'signal' },
    });
    expect(
      await ask('signal', { to: 'a', data: { type: 'offer', sdp: 'x'.repeat(64 * 1024 + 1) } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid-payload', field: 'data.sdp' },
    });
    expect(await ask('signal', { to: 'a', data: { type: 'bogus' } })).toMatchObject({
      error: { code: 'invalid-payload', field: 'data.type' },
    });
    expect(await ask('signal', 'not an object')).toMatchObject({ error: { code: 'invalid-payload' } });
    expect(await ask('signal', { to: 'nobody', data: offer })).toMatchObject({
      error: { code: 'unknown-peer', peerId: 'nobody' },
    });
    expect(await ask('peer:update', { state: { running: -1 } })).toMatchObject({
      error: { code: 'invalid-payload', field: 'state.running' },
    });
    expect(await ask('peer:update', { capabilities: { tags: ['x'.repeat(65)] } })).toMatchObject({
      error: { code: 'invalid-payload', field: 'capabilities.tags[0]' },
    });
    expect(await ask('admin:shutdown', {})).toMatchObject({ error: { code: 'unknown-event' } });

    const atB = once(b, 'signal');
    await a.sendSignalAndWait('b', offer);
    expect((await atB)[0]).toBe('a');
    expect(server.metrics().rejectedEvents).toEqual({
      'invalid-payload': 6,
      'unknown-peer': 1,
      'unknown-event': 1,
    });
  });

  it('a bad event sent without an ack callback gets an error event instead', async () => {
    const server = await startServer();
    const { socket } = await rawPeer(server, 'evil');
    const error = new Promise<Reply['error']>((r) => socket.once('error', r));
    socket.emit('signal', { to: 'a' });
    expect(await error).toMatchObject({ code: 'invalid-payload', field: 'data', event: 'signal' });
  });

  it('a flooding socket is rate-limited while its neighbours are not', async () => {
    const server = await startServer({ rateLimit: { burst: 20, perSecond: 0.01 } });
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const { ask } = await rawPeer(server, 'flood');

    const replies = await Promise.all(
      Array.from({ length: 40 }, () => ask('signal', { to: 'a', data: offer })),
    );
    const limited = replies.filter((r) => r.error?.code === 'rate-limited').length;
    expect(replies.filter((r) => r.ok).length).toBe(20);
    expect(limited).toBe(20);
    expect(server.metrics().rejectedEvents['rate-limited']).toBe(20);

    await a.sendSignalAndWait('b', offer);
    await b.update({ state: { running: 1 } });
  });

  it('a message over the size limit closes only the sender', async () => {
    const server = await startServer({ maxMessageBytes: 100 * 1024 });
    const a = await join(server, { peerId: 'a' });
    const b = await join(server, { peerId: 'b' });
    const { socket } = await rawPeer(server, 'huge');
    const gone = new Promise<string>((r) => socket.once('disconnect', r));
    socket.emit('signal', { to: 'a', data: { type: 'offer', sdp: 'x'.repeat(200 * 1024) } });
    await gone;
    await a.sendSignalAndWait('b', offer);
    expect(a.connected && b.connected).toBe(true);
  });
});
