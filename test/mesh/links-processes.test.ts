/**
 * On one flat network (test/netns/run.sh), `handout run --json` reports every link as direct: `host/udp`, for the
 * coordinator's link to each peer and for a peer's link to the holder it fetched an input from. The NAT
 * counterpart (relay links through coturn) is test/nat/nat-turn.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';
import { ACROSS_HOMES_DAG } from '../nat/nat-mesh.js';

describe('link types of a run on one network', () => {
  let h: MeshHarness;
  let dir: string;
  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'links-test' });
    dir = join(process.env.TMPDIR ?? '/tmp', `handout-links-${process.pid}.json`);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('are host/udp, per peer, in handout run --json', async () => {
    h.spawnPeer({ id: 'coord', roles: ['coordinate'], flags: ['--coordinator', '--speed', '1'] });
    for (const id of ['home-a', 'home-b']) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers(['coord', 'home-a', 'home-b']);
    writeFileSync(dir, JSON.stringify(ACROSS_HOMES_DAG));
    const r = await h.runCli([
      'run',
      dir,
      '--json',
      '--signal',
      h.server.url,
      '--token',
      h.token(['submit'], 'cli'),
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      status: string;
      peers?: Record<string, { link?: string; links: Record<string, string> }>;
    };
    expect(out.status).toBe('succeeded');
    expect(out.peers?.['home-b']).toEqual({ link: 'host/udp', links: { 'home-a': 'host/udp' } });
    expect(out.peers?.['home-a']?.links).toEqual({ 'home-b': 'host/udp' });
  }, 60_000);
});
