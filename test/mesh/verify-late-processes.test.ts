/**
 * A late disagreement with real processes over real WebRTC (run inside test/netns/run.sh): a coordinator process,
 * two honest `handout peer` processes and a lying contributor (test/fixtures/liar-peer.ts with LIAR_LATE=1) that
 * is slow and answers its forged value even after the coordinator cancelled its replica. With three replicas
 * and a quorum of two, the honest pair is accepted first; the liar's answer comes after the quorum and must
 * reach the submitter's records (its `Run` and `handout run --json`), not only the coordinator's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, FunctionVerification } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const source = (s: string) => ({ kind: 'source' as const, source: s });
/** Every replica of `a` goes to all three contributors, and nothing earns the liar a spot check. */
const verify = { replicas: 3, quorum: 2, trustAfter: 1000 };

/**
 * `a` (verified) then `b`, which keeps the run open while the liar's late answer for `a` comes in: a busy loop
 * on h1 alone (`verify: false`, pinned), so the liar never gets it and loses exactly one quorum per run.
 */
function dagOf(k: number): DagJSON {
  const functions: FunctionSpec[] = [
    { id: 'a', args: [], code: source('(k) => k * 2'), extraArgs: [k], verify },
    {
      id: 'b',
      args: ['a'],
      code: source(
        '(a) => { let s = 0; for (let n = 0; n < 150000000; n++) s = (s + n) % 7; return a + 1 + s * 0; }',
      ),
      verify: false,
      node: { peer: 'h1' },
    },
  ];
  return { format: 'handout-dag', version: 1, functions };
}

describe('a replica that disagrees after the quorum was reached', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'verify-late-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '20'] });
    for (const id of ['h1', 'h2']) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnFixture({
      id: 'liar',
      script: 'test/fixtures/liar-peer.ts',
      env: { LIAR_LATE: '1', LIAR_DELAY_MS: '3000', LIAR_SLOTS: '1', LIAR_SPEED: '1' },
    });
    await h.waitForMembers(['co', 'h1', 'h2', 'liar']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it("reaches the submitter's Run: the record turns disputed and names the liar, and its attempt says it disagreed", async () => {
    const run = mesh.submit(dagOf(21), { verify });
    const summary = await run.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    expect(await run.result('a')).toBe(42);
    expect(await run.result('b')).toBe(43);
    const liar = h.peers.get('liar')!;
    // The liar did answer late (after the cancel), and the coordinator counted it as a lost quorum.
    await liar.waitFor((l) => l.event === 'late-answer' && l.functionId === 'a', 10_000);
    const co = h.peers.get('co')!;
    const lost = await co.waitFor((l) => l.event === 'verify:disagreed', 10_000);
    expect(lost.peerId).toBe('liar');
    const a = summary.functions.find((r) => r.id === 'a')!;
    expect(a.verification?.outcome, h.logs()).toBe('disputed');
    expect(a.verification!.disagreed).toEqual(['liar']);
    expect([...a.verification!.agreed].sort()).toEqual(['h1', 'h2']);
    expect(a.peer).not.toBe('liar');
    const attempt = a.history.find((x) => x.peer === 'liar');
    expect(attempt?.error).toMatch(
      /^disagreed \(after the quorum\): its result digest [0-9a-f]{12} lost to [0-9a-f]{12}$/,
    );
  }, 120_000);

  it('shows in handout run --json, and the second late loss quarantines the liar', async () => {
    const file = join(process.env.TMPDIR ?? '/tmp', `handout-verify-late-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(dagOf(500)));
    const r = await h.runCli([
      'run',
      file,
      '--json',
      '--verify',
      '3',
      '--signal',
      h.server.url,
      '--token',
      h.token(['submit'], 'cli'),
    ]);
    expect(r.code, r.stderr + h.logs()).toBe(0);
    const out = JSON.parse(r.stdout) as {
      results: Record<string, number>;
      functions: { id: string; verification: FunctionVerification | null }[];
    };
    expect(out.results).toEqual({ a: 1000, b: 1001 });
    const a = out.functions.find((f) => f.id === 'a')!;
    expect(a.verification?.outcome, r.stdout).toBe('disputed');
    expect(a.verification!.disagreed).toEqual(['liar']);
    const quarantine = await h.peers.get('co')!.waitFor((l) => l.event === 'peer:quarantined', 10_000);
    expect(quarantine.peerId).toBe('liar');
  }, 120_000);
});
