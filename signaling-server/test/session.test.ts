import { signToken } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, join, once, record, startServer } from './helpers.js';

afterEach(cleanup);

const inSeconds = (s: number) => Math.ceil(Date.now() / 1000) + s;

describe('session expiry', () => {
  it('a session whose token expires is closed with token-expired and announced as expired', async () => {
    const server = await startServer({ tokenRenewBeforeMs: 500 });
    const watcher = await join(server, { peerId: 'w' });
    const token = signToken(
      { mesh: 'm1', roles: ['contribute'], sub: 'short', exp: inSeconds(2) },
      server.secret,
    );
    const short = await join(server, { token });
    const closed = once(short, 'close', () => true, 5000);
    const left = once(watcher, 'peer:left', (m) => m.peerId === 'short', 5000);
    const [error] = await closed;
    expect(error).toMatchObject({ code: 'token-expired' });
    expect(error!.message).toMatch(/expired at .* and was not renewed/);
    expect((await left)[0].reason).toBe('expired');
    expect(server.metrics()).toMatchObject({ sessionsExpired: 1, departures: { expired: 1 } });
  });

  it('a client with renewToken renews before expiry and stays; the new trusted mark reaches the others', async () => {
    const server = await startServer({ tokenRenewBeforeMs: 1500 });
    const watcher = await join(server, { peerId: 'w' });
    const token = signToken(
      { mesh: 'm1', roles: ['contribute'], sub: 'r', exp: inSeconds(2) },
      server.secret,
    );
    let asked = 0;
    const renewing = await join(server, {
      token,
      renewToken: () => {
        asked++;
        return server.issueToken({
          mesh: 'm1',
          roles: ['contribute'],
          sub: 'r',
          trusted: true,
          ttlSeconds: 600,
        });
      },
    });
    const exp = renewing.tokenExp;
    const [newExp] = await once(renewing, 'renewed', () => true, 5000);
    expect(newExp).toBeGreaterThan(exp);
    expect(renewing.tokenExp).toBe(newExp);
    expect((await once(watcher, 'peer:updated', (p) => p.peerId === 'r'))[0].trusted).toBe(true);
    const lefts = record(watcher, 'peer:left');
    await new Promise((r) => setTimeout(r, 2500)); // past the first token's expiry
    expect(renewing.connected).toBe(true);
    expect(lefts).toEqual([]);
    expect(asked).toBe(1);
    expect(server.metrics()).toMatchObject({ tokenRenewals: 1, sessionsExpired: 0 });
  });

  it('a renewal that does not fit the session is refused with token-rejected naming the claim', async () => {
    const server = await startServer();
    const client = await join(server, {
      token: server.issueToken({ mesh: 'm1', roles: ['contribute', 'submit'], sub: 'p', ttlSeconds: 600 }),
    });
    const attempt = (payload: Parameters<typeof signToken>[0], secret = server.secret) =>
      client.renewToken(signToken(payload, secret)).then(
        () => undefined,
        (e: unknown) => e,
      );
    const exp = inSeconds(3600);
    expect(await attempt({ mesh: 'm2', roles: ['contribute', 'submit'], sub: 'p', exp })).toMatchObject({
      code: 'token-rejected',
      details: { field: 'token.payload.mesh' },
    });
    expect(await attempt({ mesh: 'm1', roles: ['contribute', 'submit'], sub: 'q', exp })).toMatchObject({
      details: { field: 'token.payload.sub' },
    });
    expect(await attempt({ mesh: 'm1', roles: ['contribute'], sub: 'p', exp })).toMatchObject({
      details: { field: 'token.payload.roles' },
    });
    expect(
      await attempt({ mesh: 'm1', roles: ['contribute', 'submit'], sub: 'p', exp: inSeconds(60) }),
    ).toMatchObject({
      details: { field: 'token.payload.exp' },
    });
    const forged = await attempt({ mesh: 'm1', roles: ['contribute', 'submit'], sub: 'p', exp }, 'other');
    expect(forged).toMatchObject({ code: 'token-rejected' });
    expect((forged as Error).message).toMatch(/token-unknown-key/);
    expect(server.metrics()).toMatchObject({ tokenRenewals: 0, rejectedEvents: { 'token-rejected': 5 } });
    expect(await attempt({ mesh: 'm1', roles: ['contribute', 'submit'], sub: 'p', exp })).toBeUndefined();
    expect(client.tokenExp).toBe(exp);
  });
});
