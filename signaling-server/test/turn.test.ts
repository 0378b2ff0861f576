/** TURN credentials in the welcome (`handout signal --turn-url ... --turn-secret ...`). */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { createSignalingServer, turnCredential } from '../src/index.js';
import { cleanup, join, startServer } from './helpers.js';

afterEach(cleanup);

describe('TURN REST credentials', () => {
  test("match coturn's use-auth-secret scheme (vector computed with openssl dgst -sha1 -hmac)", () => {
    // echo -n "1700000000:peer-a" | openssl dgst -sha1 -hmac s3cret -binary | base64
    expect(turnCredential('s3cret', 'peer-a', 3600, (1700000000 - 3600) * 1000)).toEqual({
      username: '1700000000:peer-a',
      credential: 'lcUDOT/JZasA8/Hgu20bIC/ZiRQ=',
    });
  });

  test('each admitted peer gets its own short-lived credential in its welcome, next to the STUN servers', async () => {
    const server = await startServer({
      stunUrls: ['stun:10.0.0.1:3478'],
      turn: {
        urls: ['turn:10.0.0.1:3478', 'turn:10.0.0.1:3478?transport=tcp'],
        secret: 'shh',
        ttlSeconds: 600,
      },
    });
    const before = Math.floor(Date.now() / 1000);
    const a = await join(server, { peerId: 'peer-a' });
    const b = await join(server, { peerId: 'peer-b' });
    expect(a.iceServers[0]).toEqual({ urls: ['stun:10.0.0.1:3478'] });
    const turnA = a.iceServers[1]!;
    const turnB = b.iceServers[1]!;
    expect(turnA.urls).toEqual(['turn:10.0.0.1:3478', 'turn:10.0.0.1:3478?transport=tcp']);
    const [expiry, id] = turnA.username!.split(':');
    expect(id).toBe('peer-a');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(turnA.credential).toBe(createHmac('sha1', 'shh').update(turnA.username!).digest('base64'));
    expect(turnB.username).toMatch(/^\d+:peer-b$/);
    expect(turnB.credential).not.toBe(turnA.credential);
  });

  test('a connected peer gets fresh credentials every half TTL (ice:servers), before the first ones expire', async () => {
    const server = await startServer({
      turn: { urls: ['turn:10.0.0.1:3478'], secret: 'shh', ttlSeconds: 10 },
    });
    const a = await join(server, { peerId: 'peer-a' });
    const first = a.iceServers[0]!;
    const firstExpiry = Number(first.username!.split(':')[0]);
    const renewed = await new Promise<readonly { username?: string; credential?: string }[]>((resolve) =>
      a.on('ice:renewed', resolve),
    );
    const at = Date.now() / 1000;
    // Pushed after half the TTL (5 s), while the first credential still had about 5 s to go.
    expect(at).toBeLessThan(firstExpiry);
    const next = renewed[0]!;
    expect(Number(next.username!.split(':')[0])).toBeGreaterThanOrEqual(firstExpiry + 4);
    expect(next.username).toMatch(/:peer-a$/);
    expect(next.credential).toBe(createHmac('sha1', 'shh').update(next.username!).digest('base64'));
    // What the transport asks for at its next connection.
    expect(a.iceServers).toEqual(renewed);
  }, 15_000);

  test('a server without TURN or STUN settings hands out none', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'peer-a' });
    expect(a.iceServers).toEqual([]);
  });

  test('bad settings are refused at start, naming the option', async () => {
    await expect(
      createSignalingServer({ port: 0, turn: { urls: ['http://x'], secret: 's' } }),
    ).rejects.toThrow(/turn\.urls: 'http:\/\/x' is not a turn: URL/);
    await expect(
      createSignalingServer({ port: 0, turn: { urls: ['turn:x:3478'], secret: '' } }),
    ).rejects.toThrow(/turn\.secret/);
    await expect(
      createSignalingServer({ port: 0, turn: { urls: ['turn:x:3478'], secret: 's', ttlSeconds: 9 } }),
    ).rejects.toThrow(/turn\.ttlSeconds/);
    await expect(createSignalingServer({ port: 0, stunUrls: ['turn:x:3478'] })).rejects.toThrow(
      /stunUrls: 'turn:x:3478' is not a stun: URL/,
    );
  });
});
