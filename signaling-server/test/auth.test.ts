import { connectSignaling, SIGNALING_PROTOCOL_VERSION, signToken } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import { caps, cleanup, join, rawConnect, rawJoined, refusal, startServer } from './helpers.js';

afterEach(cleanup);

describe('admission', () => {
  it('a connection without a token is refused with token-missing', async () => {
    const server = await startServer();
    const socket = rawConnect(server.url, { version: SIGNALING_PROTOCOL_VERSION, capabilities: caps() });
    await expect(rawJoined(socket)).rejects.toMatchObject({ reason: 'token-missing', field: 'auth.token' });
  });

  it('an expired token is refused with token-expired', async () => {
    const server = await startServer();
    const token = signToken(
      { mesh: 'm1', roles: ['contribute'], exp: Math.floor(Date.now() / 1000) - 1 },
      server.secret,
    );
    const error = await refusal(connectSignaling({ url: server.url, token, capabilities: caps() }));
    expect(error.reason).toBe('token-expired');
    expect(error.message).toMatch(/expired/);
  });

  it('a token signed with another secret under the server kid is refused with token-bad-signature', async () => {
    const server = await startServer();
    const key = { kid: server.kid, secret: 'not-the-server-secret' };
    const token = signToken({ mesh: 'm1', roles: ['contribute'], exp: 2e9 }, key);
    const error = await refusal(connectSignaling({ url: server.url, token, capabilities: caps() }));
    expect(error.reason).toBe('token-bad-signature');
  });

  it("another server's token (a kid this server has no key for) is refused with token-unknown-key", async () => {
    const server = await startServer();
    const token = signToken({ mesh: 'm1', roles: ['contribute'], exp: 2e9 }, 'another-server');
    const error = await refusal(connectSignaling({ url: server.url, token, capabilities: caps() }));
    expect(error).toMatchObject({ reason: 'token-unknown-key', details: { field: 'token.header.kid' } });
  });

  it('a token whose payload was edited to grant more is refused with token-bad-signature', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const [header, , sig] = token.split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ mesh: 'm1', roles: ['coordinate'], sub: 'x', exp: 2e9 }),
    ).toString('base64url');
    const error = await refusal(
      connectSignaling({ url: server.url, token: `${header}.${forgedBody}.${sig}`, capabilities: caps() }),
    );
    expect(error.reason).toBe('token-bad-signature');
  });

  it('a pre-JWT token is refused with token-outdated, saying how to get a new one', async () => {
    const server = await startServer();
    const old = 'eyJtZXNoIjoibTEiLCJyb2xlcyI6WyJzdWJtaXQiXSwiZXhwIjo0MDAwMDAwMDAwfQ.c2ln';
    const error = await refusal(connectSignaling({ url: server.url, token: old, capabilities: caps() }));
    expect(error.reason).toBe('token-outdated');
    expect(error.message).toMatch(/handout token/);
  });

  it('garbage in place of a token is refused with token-malformed', async () => {
    const server = await startServer();
    const error = await refusal(connectSignaling({ url: server.url, token: 'hello', capabilities: caps() }));
    expect(error.reason).toBe('token-malformed');
  });

  it('a token for another mesh than the one asked for is refused with wrong-mesh', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const error = await refusal(
      connectSignaling({ url: server.url, token, mesh: 'm2', capabilities: caps() }),
    );
    expect(error.reason).toBe('wrong-mesh');
    expect(error.details.field).toBe('auth.mesh');
  });

  it('a server restricted to some meshes refuses tokens for others', async () => {
    const server = await startServer({ meshes: ['prod'] });
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    expect((await refusal(connectSignaling({ url: server.url, token, capabilities: caps() }))).reason).toBe(
      'wrong-mesh',
    );
  });

  it('asking for a role the token does not grant is refused with role-not-granted', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const error = await refusal(
      connectSignaling({ url: server.url, token, roles: ['contribute', 'coordinate'], capabilities: caps() }),
    );
    expect(error.reason).toBe('role-not-granted');
    expect(error.message).toContain("'coordinate'");
  });

  it('claiming the id of a connected peer is refused with peer-id-taken, and the owner stays', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    const error = await refusal(join(server, { peerId: 'a' }));
    expect(error.reason).toBe('peer-id-taken');
    expect(a.connected).toBe(true);
    expect((await server.peers()).length).toBe(1);
  });

  it('claiming the id of a peer within its grace window without its resume key is refused', async () => {
    const server = await startServer({ reconnectGraceMs: 60_000 });
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const victim = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token,
      peerId: 'v',
      capabilities: caps(),
    });
    await rawJoined(victim);
    victim.io.engine.close();
    await new Promise((r) => setTimeout(r, 100));
    const thief = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token,
      peerId: 'v',
      resumeKey: 'guessed',
      capabilities: caps(),
    });
    await expect(rawJoined(thief)).rejects.toMatchObject({ reason: 'peer-id-taken' });
  });

  it('a token bound to one peer id cannot be used under another', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'], sub: 'alice' });
    const error = await refusal(
      connectSignaling({ url: server.url, token, peerId: 'mallory', capabilities: caps() }),
    );
    expect(error.reason).toBe('peer-id-mismatch');
  });

  it('a handshake with bad capabilities is refused naming the field', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const tags = Array.from({ length: 33 }, (_, i) => `t${i}`);
    const error = await refusal(connectSignaling({ url: server.url, token, capabilities: caps({ tags }) }));
    expect(error.reason).toBe('bad-handshake');
    expect(error.details.field).toBe('auth.capabilities.tags');
  });

  it('a client of another protocol version is refused with version-mismatch', async () => {
    const server = await startServer();
    const token = server.issueToken({ mesh: 'm1', roles: ['contribute'] });
    const socket = rawConnect(server.url, { version: 99, token, capabilities: caps() });
    await expect(rawJoined(socket)).rejects.toMatchObject({ reason: 'version-mismatch' });
  });

  it('an unreachable server is reported as unreachable, not left hanging', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    await expect(
      connectSignaling({ url, token: 'x.y.z', capabilities: caps(), connectTimeoutMs: 3000 }),
    ).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('refusals are counted by reason in the metrics', async () => {
    const server = await startServer();
    await refusal(connectSignaling({ url: server.url, token: 'hello', capabilities: caps() }));
    await refusal(connectSignaling({ url: server.url, token: 'hello', capabilities: caps() }));
    expect(server.metrics().refusals).toEqual({ 'token-malformed': 2 });
  });
});
