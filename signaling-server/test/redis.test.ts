/**
 * Several signaling processes over one real redis-server (started by the test): peers on different servers
 * see each other, signal each other, and a peer whose server goes away resumes on another one with its resume
 * key. The servers here share this test process but nothing else: each has its own socket.io server and HTTP
 * port, and all they share is Redis (the registry and the adapter's pub/sub). The killed-process case is in
 * test/mesh/signaling-redis-processes.test.ts.
 */
import type { SignalingClient } from '@handout/peer-runtime/signaling';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer, SignalingServerOptions } from '../src/index.js';
import { useRedisServer } from './fixtures/redis-server.js';
import { cleanup, delay, join, knows, once, record, startServer } from './helpers.js';

const redisServer = useRedisServer({ beforeAll, afterAll });
afterEach(cleanup);

let prefixes = 0;

/** `n` servers sharing one secret and one Redis key prefix: one deployment. */
async function deployment(n: number, options: SignalingServerOptions = {}): Promise<SignalingServer[]> {
  const shared = {
    secret: 'redis-test-secret',
    redis: redisServer().url,
    redisPrefix: `d${prefixes++}:`,
    ...options,
  };
  const servers: SignalingServer[] = [];
  for (let i = 0; i < n; i++) servers.push(await startServer(shared));
  return servers;
}

describe('signaling over Redis', () => {
  it('peers on two processes see each other join, change and leave, and signal each other', async () => {
    const [s1, s2] = await deployment(2);
    const a = await join(s1!, { peerId: 'a' });
    const b = await join(s2!, { peerId: 'b' });
    await knows(a, 'b');
    // b's welcome, from s2, listed a (joined on s1).
    expect(b.peers().map((p) => p.peerId)).toEqual(['a']);
    const got = once(b, 'signal');
    await a.sendSignalAndWait('b', { type: 'renegotiate', renegotiate: true });
    expect((await got)[0]).toBe('a');
    const back = once(a, 'signal');
    await b.sendSignalAndWait('a', { type: 'offer', sdp: 'v=0' });
    expect(await back).toEqual(['b', { type: 'offer', sdp: 'v=0' }]);
    const updated = once(a, 'peer:updated');
    await b.update({ state: { paused: true } });
    expect((await updated)[0]).toMatchObject({ peerId: 'b', state: { paused: true } });
    expect((await s1!.peers('m1')).map((p) => p.peerId).sort()).toEqual(['a', 'b']);
    const left = once(a, 'peer:left');
    await b.close();
    expect((await left)[0]).toEqual({ peerId: 'b', reason: 'left' });
  });

  it('a live id is taken on every process, and a left id stays reserved for its subject on every process', async () => {
    const [s1, s2] = await deployment(2);
    const token = s1!.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'p' });
    const p = await join(s1!, { peerId: 'p', token });
    await expect(join(s2!, { peerId: 'p', token })).rejects.toMatchObject({ reason: 'peer-id-taken' });
    await p.close();
    await delay(50);
    const other = s2!.issueToken({ mesh: 'm1', roles: ['contribute'] });
    await expect(join(s2!, { peerId: 'p', token: other })).rejects.toMatchObject({
      reason: 'peer-id-reserved',
    });
    // The same subject may take its id back, on any process.
    expect((await join(s2!, { peerId: 'p', token })).peerId).toBe('p');
  });

  it('a peer whose server goes away resumes on another one, and the others hear no departure', async () => {
    const [s1, s2] = await deployment(2);
    const watcher = await join(s2!, { peerId: 'w' });
    const moving: SignalingClient = await join(s1!, { peerId: 'mover', url: [s1!.url, s2!.url] });
    await knows(watcher, 'mover');
    const lefts = record(watcher, 'peer:left');
    const back = once(moving, 'reconnect', () => true, 10_000);
    await s1!.close();
    await back;
    expect(moving.url).toBe(s2!.url);
    expect(moving.peerId).toBe('mover');
    expect(moving.peers().map((p) => p.peerId)).toEqual(['w']);
    expect(s2!.metrics().resumes).toBe(1);
    const got = once(watcher, 'signal');
    await moving.sendSignalAndWait('w', { type: 'renegotiate', renegotiate: true });
    expect((await got)[0]).toBe('mover');
    await delay(200);
    expect(lefts).toEqual([]);
  });

  it('the peers of a process that went away for good expire after the grace window, announced by another', async () => {
    const [s1, s2] = await deployment(2, { reconnectGraceMs: 300 });
    const watcher = await join(s2!, { peerId: 'w' });
    const gone = await join(s1!, { peerId: 'gone', reconnectDelayMs: 60_000 });
    await knows(watcher, 'gone');
    const left = once(watcher, 'peer:left', () => true, 10_000);
    await s1!.close();
    // The client does not come back (its next attempt is a minute away); s1 wrote nothing on its way out.
    expect(await left).toEqual([{ peerId: 'gone', reason: 'lost' }]);
    expect(s2!.metrics().departures).toEqual({ lost: 1 });
    expect((await s2!.peers('m1')).map((p) => p.peerId)).toEqual(['w']);
    await gone.close();
  });
});
