/**
 * Receipts for fetched copies (coordinator/cache-claims.ts, "Copies"), with real processes over real WebRTC (run
 * inside test/netns/run.sh): a coordinator process (`handout peer --coordinator`, its cache directory kept across
 * its restart) and two `handout peer` processes with untrusted tokens, a producer and a consumer, pinned by tags.
 *
 * The consumer fetches the producer's 30 kB result as an input, checks it against the digest it was handed and
 * keeps it; it announces the copy and the coordinator answers with a receipt of its own for it. Then the producer
 * is SIGKILLed (the only other holder gone) and the coordinator is SIGKILLed and started again: it recorded no
 * digest, so only receipts make announcements believable. The rerun must be served from the consumer's copy,
 * not recomputed (without copy receipts the consumer's announcement is a bare claim and the function runs again).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFunctions } from '../../peer-runtime/src/dag/hash.js';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const source = (s: string) => ({ kind: 'source' as const, source: s });
const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 30 kB: too large to ride inline, so the consumer must fetch it, and after the restart only a cache has it. */
const bigCode = source("() => 'c'.repeat(30000)");
const big: FunctionSpec = { id: 'big', args: [], code: bigCode, node: { tags: ['producer'] } };
const use: FunctionSpec = {
  id: 'use',
  args: ['big'],
  code: source('(s) => s.length'),
  node: { tags: ['consumer'] },
};
/** The same function unpinned (placement is not part of its hash): any holder may serve it. */
const bigAnywhere: FunctionSpec = { id: 'big', args: [], code: bigCode };

describe('a fetched copy after its producer and the coordinator died', () => {
  let h: MeshHarness;
  let mesh: Mesh | undefined;
  const dirs = { co: '', producer: '', consumer: '' };
  const bigHash = hashFunctions([big]).get('big')!;

  const spawnCoordinator = () =>
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator'], cacheDir: dirs.co });
  const connectSubmitter = async () => {
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
    const deadline = Date.now() + 30_000;
    while (mesh.coordinatorId() !== 'co') {
      if (Date.now() > deadline) throw new Error(`no coordinator for the submitter\n${h.logs()}`);
      await sleep(50);
    }
  };
  const receiptsOf = (id: keyof typeof dirs): string => {
    try {
      return readFileSync(join(dirs[id], 'receipts.jsonl'), 'utf8');
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[])
      dirs[k] = mkdtempSync(join(tmpdir(), `handout-copy-receipts-${k}-`));
    h = await startMeshHarness({ mesh: 'copy-receipts-test' });
    spawnCoordinator();
    for (const id of ['producer', 'consumer'] as const)
      h.spawnPeer({ id, cacheDir: dirs[id], flags: ['--concurrency', '1', '--tags', id] });
    await h.waitForMembers(['co', 'producer', 'consumer']);
    await connectSubmitter();
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
    for (const d of Object.values(dirs)) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('is served from the consumer’s cache on its receipt, not recomputed', async () => {
    // 1. The producer computes big; the consumer fetches it as its input and keeps the checked copy.
    const first = await mesh!.submit(dagOf([big, use])).done;
    expect(first.status, h.logs()).toBe('succeeded');
    const byId = new Map(first.functions.map((r) => [r.id, r]));
    expect(byId.get('big')?.peer).toBe('producer');
    expect(byId.get('use')?.peer).toBe('consumer');
    // The copy's receipt reached the consumer's receipt book on disk (it computed nothing else under that hash).
    await expect.poll(() => receiptsOf('consumer'), { timeout: 15_000 }).toContain(bigHash);

    // 2. The producer dies for real, then the coordinator; the coordinator comes back with the same cache dir.
    await mesh!.close();
    mesh = undefined;
    for (const id of ['producer', 'co']) {
      h.peers.get(id)!.kill('SIGKILL');
      await h.peers.get(id)!.exited;
    }
    const deadline = Date.now() + 30_000;
    while ((await h.server.peers(h.mesh)).some((p) => p.peerId === 'co' || p.peerId === 'producer')) {
      if (Date.now() > deadline) throw new Error('a killed peer stays listed');
      await sleep(100);
    }
    const co = spawnCoordinator();
    await co.waitFor((l) => l.event === 'joined', 60_000);
    await connectSubmitter();

    // 3. The rerun is a cache hit on the consumer's copy, and its bytes are the producer's.
    const rerun = mesh!.submit(dagOf([bigAnywhere]));
    const summary = await rerun.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    expect(summary.functions[0], h.logs()).toMatchObject({ id: 'big', cached: true, peer: 'consumer' });
    expect(await rerun.result('big')).toBe('c'.repeat(30000));
  }, 240_000);
});
