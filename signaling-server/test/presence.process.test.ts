import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, join, once, startServer } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/peer.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanup();
});

function startPeerProcess(url: string, token: string, peerId: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fixture, url, token, peerId],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      if (String(d).includes('joined')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`peer process exited (${code}) before joining: ${err}`)));
  });
}

describe('presence across processes', () => {
  it('a peer process killed with SIGKILL is announced as gone to the others within a few seconds', async () => {
    // Defaults: a 3 s grace window for reconnects, 5 s to notice a silent connection.
    const server = await startServer();
    const watcher = await join(server, { peerId: 'watcher' });
    const joined = once(watcher, 'peer:joined', (p) => p.peerId === 'child', 20_000);
    const child = await startPeerProcess(
      server.url,
      server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
      'child',
    );
    expect((await joined)[0].capabilities.tags).toEqual(['child']);

    const left = once(watcher, 'peer:left', (m) => m.peerId === 'child', 10_000);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const [message] = await left;
    const seconds = (Date.now() - killedAt) / 1000;

    expect(message.reason).toBe('lost');
    expect(seconds).toBeLessThan(8);
    expect(watcher.peers()).toEqual([]);
    expect(server.metrics()).toMatchObject({ peers: 1, departures: { lost: 1 } });
  });

  it('a frozen peer process (SIGSTOP, connection still open) is announced as gone after the presence timeout', async () => {
    const server = await startServer({ presenceTimeoutMs: 1000, reconnectGraceMs: 500 });
    const watcher = await join(server, { peerId: 'watcher' });
    const child = await startPeerProcess(
      server.url,
      server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
      'frozen',
    );
    expect(watcher.peer('frozen') ?? (await once(watcher, 'peer:joined'))[0]).toMatchObject({
      peerId: 'frozen',
    });

    const left = once(watcher, 'peer:left', (m) => m.peerId === 'frozen', 10_000);
    child.kill('SIGSTOP');
    expect((await left)[0]).toEqual({ peerId: 'frozen', reason: 'lost' });
  });

  it('after a coordinator process is killed, an unbound contribute token cannot join under its id', async () => {
    const server = await startServer({ reconnectGraceMs: 300 });
    const watcher = await join(server, { peerId: 'watcher' });
    const coordToken = server.issueToken({ mesh: 'm1', roles: ['coordinate', 'contribute'], sub: 'coord' });
    const joined = once(watcher, 'peer:joined', (p) => p.peerId === 'coord', 20_000);
    const coordinator = await startPeerProcess(server.url, coordToken, 'coord');
    expect((await joined)[0].roles).toEqual(['coordinate', 'contribute']);

    const left = once(watcher, 'peer:left', (m) => m.peerId === 'coord', 10_000);
    coordinator.kill('SIGKILL');
    await left;
    // Three seconds later (the case of issue 10), a contribute-only token tries the id.
    await new Promise((r) => setTimeout(r, 3000));
    const impostor = startPeerProcess(
      server.url,
      server.issueToken({ mesh: 'm1', roles: ['contribute'] }),
      'coord',
    );
    await expect(impostor).rejects.toThrow(/peer-id-reserved/);
    expect(watcher.peer('coord')).toBeUndefined();
    expect(server.metrics().refusals).toEqual({ 'peer-id-reserved': 1 });
    // The coordinator itself, restarted with its own token, takes its id back.
    const rejoined = once(watcher, 'peer:joined', (p) => p.peerId === 'coord', 20_000);
    await startPeerProcess(server.url, coordToken, 'coord');
    expect((await rejoined)[0].roles).toEqual(['coordinate', 'contribute']);
  }, 30_000);
});
