/**
 * A peer that floods function output, as real processes over real WebRTC (inside test/netns/run.sh): a
 * coordinator process, an honest `handout peer` process, and test/fixtures/output-flood-peer.ts, whose function
 * prints far past the budget in its worker and which, beside that, sends hundreds of well-formed `task:output`
 * messages of 16 KiB each for its attempt and for an attempt it was never given. The attempt is cut at the
 * budget, the cut reaches the submitter and the coordinator's log naming the function and the peer, the forged
 * attempt prints nowhere, and the mesh keeps serving another run meanwhile.
 */
import type { DagJSON, FunctionSpec, RunEvents } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_LIMIT_CHARS, outputSize } from '../../peer-runtime/src/run/output.js';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const FLOOD_MESSAGES = 300;

describe('a peer process flooding function output', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'flood-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '5'] });
    h.spawnPeer({ id: 'w1', flags: ['--concurrency', '1'] });
    h.spawnFixture({
      id: 'flood',
      script: 'test/fixtures/output-flood-peer.ts',
      env: { FLOOD_MESSAGES: String(FLOOD_MESSAGES) },
    });
    await h.waitForMembers(['co', 'w1', 'flood']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('is cut at the budget, the cut is reported naming the function, and another run completes meanwhile', async () => {
    const noisy = mesh.submit(
      dagOf([
        {
          id: 'noisy',
          args: [],
          code: {
            kind: 'source',
            source:
              'async () => { for (let i = 0; i < 200000; i++) console.log("noise", i); await new Promise((r) => setTimeout(r, 1500)); return "done"; }',
          },
          node: { peer: 'flood' },
        },
      ]),
    );
    const events: RunEvents['function:log'][] = [];
    noisy.on('function:log', (e) => events.push(e));
    await new Promise<void>((resolve) => noisy.on('task:started', () => resolve()));

    // While the flood goes on, the coordinator places and follows another submitter's run on the honest peer.
    const other = mesh.submit(
      dagOf(
        Array.from({ length: 10 }, (_, k) => ({
          id: `calm${k}`,
          args: [],
          code: { kind: 'source' as const, source: '(k) => k * 2' },
          extraArgs: [k],
          node: { peer: 'w1' },
        })),
      ),
    );
    const otherDone = await other.done;
    expect(otherDone.status, h.logs()).toBe('succeeded');
    expect(await other.result('calm9')).toBe(18);

    const summary = await noisy.done;
    expect(summary.status, h.logs()).toBe('succeeded');
    expect(await noisy.result('noisy')).toBe('done');
    const flooded = await h.peers.get('flood')!.waitFor((l) => l.event === 'flooded', 60_000);
    expect(flooded.sent).toBe(FLOOD_MESSAGES * 2);

    // The record: one attempt, on the flooding peer, within the budget; everything past it only counted.
    const logs = summary.functions[0]!.logs!;
    expect(logs.map((l) => [l.attempt, l.peer])).toEqual([[1, 'flood']]);
    expect(outputSize(logs[0]!)).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(logs[0]!.droppedLines).toBeGreaterThan(1000);
    // The submitter was told of the cut (a count), but the flood itself was not forwarded piece by piece.
    const kept = events.reduce((n, e) => n + e.lines.reduce((c, l) => c + l.text.length + 1, 0), 0);
    expect(kept).toBeLessThanOrEqual(OUTPUT_LIMIT_CHARS);
    expect(events.some((e) => e.droppedLines > 0)).toBe(true);
    expect(events.length).toBeLessThan(FLOOD_MESSAGES / 3);
    expect(events.every((e) => e.attempt === 1 && e.peer === 'flood')).toBe(true);

    // The coordinator's log names the function and the peer at the cut, and refused the forged attempt.
    const co = JSON.stringify(h.peers.get('co')!.lines);
    expect(co).toContain("function 'noisy' attempt 1 on peer 'flood' printed past its output budget");
    expect(co).toContain("function 'noisy' attempt 1001");
  }, 120_000);
});
