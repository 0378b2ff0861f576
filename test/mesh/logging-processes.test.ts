/**
 * The logs of real `handout signal` and `handout peer` processes (run inside test/netns/run.sh): what an operator
 * watching them sees when a peer joins, when a stranger is refused, and when a peer leaves, in both formats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@handout/peer-runtime/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogLine, type PeerProcess, spawnCli } from '../harness/mesh-harness.js';

const started: PeerProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spawn(id: string, args: string[]): PeerProcess {
  const p = spawnCli(id, args);
  started.push(p);
  return p;
}

function peerArgs(url: string, token: string, extra: string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'handout-log-test-'));
  dirs.push(dir);
  return [
    'peer',
    '--signal',
    url,
    '--token',
    token,
    '--speed',
    '1',
    '--concurrency',
    '1',
    '--cache-dir',
    dir,
    ...extra,
  ];
}

const isLevelled = (l: LogLine) =>
  typeof l.level === 'string' && typeof l.time === 'string' && typeof l.msg === 'string';

describe('handout signal and handout peer logs', () => {
  it('json: the server logs the admission, the refusal (reason and address) and the departure; the peer logs its milestones with levels', async () => {
    const server = spawn('signal', ['signal', '--port', '0', '--json', '--secret', 'log-test-secret']);
    const listening = await server.waitFor((l) => l.event === 'listening', 30_000);
    const url = String(listening.url);
    // A token of the right server for mesh 'logs'.
    const good = signToken(
      { mesh: 'logs', roles: ['contribute'], exp: 4102444800, sub: 'p-logs' },
      'log-test-secret',
    );
    const peer = spawn('p-logs', peerArgs(url, good, ['--json', '--log-level', 'debug']));
    const joined = await peer.waitFor((l) => l.event === 'joined', 30_000);
    expect(joined).toMatchObject({ level: 'info', mesh: 'logs', peerId: 'p-logs' });
    expect(isLevelled(joined)).toBe(true);
    const admitted = await server.waitFor((l) => l.msg === 'peer joined', 10_000);
    expect(admitted).toMatchObject({ level: 'info', mesh: 'logs', peer: 'p-logs', roles: ['contribute'] });
    expect(String(admitted.address)).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);

    // A stranger with a token of another server: refused, and the server says why and from where.
    const forged = signToken({ mesh: 'logs', roles: ['contribute'], exp: 4102444800 }, 'another-server');
    const stranger = spawn('stranger', peerArgs(url, forged, ['--json']));
    expect(await stranger.exited).toBe(2);
    const refused = await server.waitFor((l) => l.msg === 'connection refused', 10_000);
    expect(refused).toMatchObject({ level: 'warn', reason: 'token-unknown-key' });
    expect(typeof refused.address).toBe('string');

    peer.kill('SIGTERM');
    expect(await peer.exited).toBe(0);
    const left = await server.waitFor((l) => l.msg === 'peer left', 10_000);
    expect(left).toMatchObject({ level: 'info', mesh: 'logs', peer: 'p-logs', reason: 'left' });
    expect(peer.lines.filter((l) => l.event).map((l) => l.event)).toEqual(
      expect.arrayContaining(['joined', 'leaving', 'left']),
    );
    // Every line of both processes is a levelled JSON object (the listening line keeps its own shape).
    for (const l of peer.lines) expect(isLevelled(l), JSON.stringify(l)).toBe(true);
    for (const l of server.lines.filter((x) => x.event !== 'listening'))
      expect(isLevelled(l), JSON.stringify(l)).toBe(true);
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 90_000);

  it('pretty: lines for people, with the level and the fields; --log-level warn keeps only warnings and errors', async () => {
    const server = spawn('signal', ['signal', '--port', '0', '--secret', 's2', '--log-level', 'warn']);
    const first = await server.waitFor(
      (l) => l.event === 'text' && /listening on/.test(String(l.text)),
      30_000,
    );
    const url = /listening on (\S+)/.exec(String(first.text))![1]!;
    const good = signToken({ mesh: 'pretty', roles: ['contribute'], exp: 4102444800, sub: 'p-pretty' }, 's2');
    const peer = spawn('p-pretty', peerArgs(url, good));
    await peer.waitFor((l) => /INFO {2}joined mesh 'pretty' as 'p-pretty'/.test(String(l.text)), 30_000);
    const forged = signToken({ mesh: 'pretty', roles: ['contribute'], exp: 4102444800 }, 'elsewhere');
    const stranger = spawn('stranger', peerArgs(url, forged));
    expect(await stranger.exited).toBe(2);
    const refused = await server.waitFor((l) => /WARN {2}connection refused/.test(String(l.text)), 10_000);
    expect(String(refused.text)).toMatch(/reason=token-unknown-key/);
    expect(String(refused.text)).toMatch(/address=\S+/);
    // At --log-level warn the admission (info) was not written.
    expect(server.lines.some((l) => /peer joined/.test(String(l.text)))).toBe(false);
  }, 90_000);
});
