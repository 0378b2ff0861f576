/**
 * The trust boundary of issue 10 from the outside: a real malicious process (fixtures/malicious-peer.ts) with a
 * contribute-only token attacks an honest `handout peer` process (which trusts code: the admission checks are
 * the only wall) and a coordinator, over real WebRTC through a real signaling server. Every attempt must be
 * refused, named (kind, peer, missing role or check) in the answer the attacker gets and counted where it was
 * refused; no attacker code runs; the honest runs stay correct; nothing hangs.
 * Run inside test/netns/run.sh (no packet leaves the machine).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFunctions } from '../../peer-runtime/src/dag/hash.js';
import type { FunctionSpec } from '../../peer-runtime/src/dag/types.js';
import { createMeshPeer, type MeshPeer } from '../../peer-runtime/src/peer/mesh-peer.js';
import { type MeshHarness, ROOT, startMeshHarness } from '../harness/mesh-harness.js';

const FIXTURE = join(ROOT, 'test/trust/fixtures/malicious-peer.ts');
const FLOOD = 3000;

type Line = Record<string, unknown> & { event: string };
interface Got {
  readonly from: string;
  readonly message: Record<string, unknown> & { type: string };
}

const src = (source: string) => ({ kind: 'source' as const, source });
/**
 * 30 kB: too large to ride inline, so it is only ever had by fetching it from a holder. Pinned to the honest
 * peers' tag, so a recompute never lands on the attacker (who takes work and never answers).
 */
const secretSpec: FunctionSpec = {
  id: 'secret',
  args: [],
  code: src("() => 'confidential:' + 'x'.repeat(30000)"),
  node: { tags: ['honest'] },
};
const SECRET = `confidential:${'x'.repeat(30000)}`;
/**
 * Pinned to the honest peer: the attacker is a contributor too, and one that takes work and never answers is a
 * liveness problem of its own (the verification issue), not what this test is about.
 */
const laterSpec: FunctionSpec = { id: 'later', args: [], code: src('() => 6 * 7'), node: { peer: 'honest' } };

describe('a malicious peer with a contribute-only token', () => {
  let h: MeshHarness;
  let coordinator: MeshPeer;
  let attacker: ChildProcess | undefined;
  const lines: Line[] = [];
  let stderr = '';
  const dir = mkdtempSync(join(tmpdir(), 'handout-trust-'));
  const marker = join(dir, 'pwned.json');

  const waitFor = async (event: string, timeoutMs = 60_000): Promise<Line> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = lines.find((l) => l.event === event);
      if (line) return line;
      if (Date.now() > deadline || attacker?.exitCode != null) {
        throw new Error(`no '${event}' from the attacker\n${JSON.stringify(lines)}\n${stderr}\n${h.logs()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const got = (): Got[] => lines.filter((l) => l.event === 'got') as unknown as Got[];
  const errors = (kind: string) => got().filter((g) => g.message.type === 'error' && g.message.kind === kind);

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'trust-test' });
    // The honest peer inherits this; a function that ran there with full powers could read it.
    process.env.HANDOUT_TEST_SECRET = 'do-not-leak';
    h.spawnPeer({ id: 'honest', flags: ['--concurrency', '1', '--trust-code', '--tags', 'honest'] });
    await h.waitForMembers(['honest']);
    coordinator = await createMeshPeer({
      signal: h.server.url,
      token: h.token(['coordinate', 'submit'], 'coord'),
      roles: ['coordinate', 'submit'],
      coordinator: true,
      cacheDir: false,
      speed: 1,
    });
  }, 90_000);

  afterAll(async () => {
    attacker?.kill('SIGKILL');
    await coordinator?.close({ graceMs: 0 });
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused at every door, named in each answer, while the honest runs stay correct', async () => {
    const run = coordinator.coordinator!.submit([secretSpec]);
    expect((await run.done).status).toBe('succeeded');
    const secretHash = run.record('secret').hash;
    const announceHash = hashFunctions([laterSpec]).get('later')!;

    attacker = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', FIXTURE], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HANDOUT_ATTACK: JSON.stringify({
          signal: h.server.url,
          token: h.token(['contribute'], 'mallory'),
          self: 'mallory',
          coordinator: 'coord',
          victim: 'honest',
          marker,
          secretHash,
          secretFunction: 'secret',
          runKey: 'r1',
          announceHash,
          flood: FLOOD,
        }),
      },
    });
    let buffer = '';
    attacker.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const text = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (text.startsWith('{')) lines.push(JSON.parse(text) as Line);
      }
    });
    attacker.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitFor('attacked');

    // task:assign and task:cancel straight to a contributor: refused for lack of `coordinate`, nothing ran.
    expect(errors('task:assign')[0]?.message).toMatchObject({ code: 'refused', missing: 'coordinate' });
    expect(String(errors('task:assign')[0]?.message.message)).toContain("'mallory'");
    expect(errors('task:cancel')[0]?.message).toMatchObject({ missing: 'coordinate' });
    expect(got().some((g) => g.message.type === 'task:result' || g.message.type === 'task:failed')).toBe(
      false,
    );
    expect(existsSync(marker)).toBe(false);
    // dag:submit and run:cancel at the coordinator: refused for lack of `submit`; the submission is rejected.
    expect(errors('dag:submit')[0]?.message).toMatchObject({ missing: 'submit' });
    expect(got().find((g) => g.message.type === 'run:event')?.message).toMatchObject({
      runId: 'evil-submit',
      event: { kind: 'run:rejected' },
    });
    expect(errors('run:cancel')[0]?.message).toMatchObject({ missing: 'submit' });
    // Another submitter's result by hash: refused without a (valid) ticket, answered missing, no bytes.
    expect(
      errors('result:fetch')
        .slice(0, 2)
        .map((e) => e.message.missing),
    ).toEqual(['ticket', 'ticket']);
    const missing = got().filter((g) => g.message.type === 'result:missing');
    expect(missing.map((g) => g.message.requestId).slice(0, 2)).toEqual([1, 2]);
    expect(got().some((g) => g.message.type === 'result:data')).toBe(false);
    // A forged task:result: refused naming the function and the peer.
    const forged = errors('task:result')[0]?.message;
    expect(forged).toMatchObject({ missing: 'assignment' });
    expect(String(forged?.message)).toContain("'secret'");
    expect(String(forged?.message)).toContain("'mallory'");
    expect(coordinator.coordinator!.refusals().get('task:result assignment')).toBe(1);
    expect(coordinator.coordinator!.refusals().get('dag:submit submit')).toBe(1);
    // The directory still has only the honest holder, and the honest run's result is the honest value.
    expect(coordinator.coordinator!.holders(secretHash)).toEqual(['honest']);
    expect(await run.result('secret')).toBe(SECRET);
    // The forged announcement did not make 'later' a cache hit on mallory: it is computed, on the honest peer.
    const later = coordinator.coordinator!.submit([laterSpec]);
    const summary = await later.done;
    expect(summary.functions[0]).toMatchObject({ status: 'succeeded', peer: 'honest' });
    expect(await later.result('later')).toBe(42);

    // The flood: every fetch answered (nothing left hanging), the answers' error lines capped, the peer fine.
    const flooded = await waitFor('flooded', 120_000);
    expect(flooded.sent).toBe(FLOOD);
    await expect
      .poll(() => got().filter((g) => g.message.type === 'result:missing').length, { timeout: 30_000 })
      .toBe(FLOOD + 2);
    expect(errors('result:fetch').length).toBeLessThan(FLOOD / 5);
    const during = coordinator.coordinator!.submit([{ ...laterSpec, id: 'again', extraArgs: [1] }]);
    expect((await during.done).status).toBe('succeeded');

    // A malformed message (well-formed CBOR of the wrong shape): the honest peer drops the connection.
    await waitFor('disconnected', 30_000);
    const honest = h.peers.get('honest')!;
    expect(honest.child.exitCode).toBeNull();
    await expect
      .poll(
        () =>
          honest.lines.find(
            (l) =>
              // A warn line of the peer's Logger (pino JSON with --json: level, time, msg, fields).
              l.level === 'warn' && String(l.msg).includes("'task:assign' from peer 'mallory' refused"),
          ),
        { timeout: 10_000 },
      )
      .toMatchObject({ level: 'warn', peer: 'mallory', reason: 'coordinate' });
    const after = coordinator.coordinator!.submit([{ ...laterSpec, id: 'after', extraArgs: [2] }]);
    expect((await after.done).status).toBe('succeeded');
    expect(existsSync(marker)).toBe(false);

    // Forged bytes for a fetched input: the attacker claims the secret (a hash the coordinator has a digest for,
    // so the claim is checkable and it becomes a holder) and serves a forged value. The only honest holder dies;
    // a consumer on another honest peer fetches from the attacker, refuses the bytes (digest), reports the input
    // lost, and the coordinator recomputes it: the consumer sees the real value, never the forged one.
    h.spawnPeer({ id: 'honest2', flags: ['--concurrency', '1', '--tags', 'honest'] });
    await h.waitForMembers(['honest2']);
    await waitFor('announced');
    await expect
      .poll(() => [...coordinator.coordinator!.holders(secretHash)].sort())
      .toEqual(['honest', 'mallory']);
    honest.kill('SIGKILL');
    await expect
      .poll(() => coordinator.coordinator!.holders(secretHash), { timeout: 30_000 })
      .toEqual(['mallory']);
    const consumer = coordinator.coordinator!.submit([
      secretSpec,
      {
        id: 'check',
        args: ['secret'],
        code: src('(s) => s.slice(0, 13) + s.length'),
        node: { peer: 'honest2' },
      },
    ]);
    expect((await consumer.done).status).toBe('succeeded');
    expect(await consumer.result('check')).toBe(`confidential:${SECRET.length}`);
    expect(await consumer.result('secret')).toBe(SECRET);
    const honest2 = h.peers.get('honest2')!;
    expect(
      honest2.lines.find(
        (l) => l.level === 'warn' && String(l.msg).includes("'result:data' from peer 'mallory'"),
      ),
    ).toMatchObject({ peer: 'mallory', reason: 'digest' });
  }, 240_000);
});
