/**
 * Function output on a real mesh (run inside test/netns/run.sh): `handout peer` processes over real WebRTC, a
 * coordinator process, and submitters in this process (`connect()`) and as `handout run --signal` processes.
 * What a function prints on a peer reaches the submitter attributed to the function, the attempt and the peer,
 * and never the peer's own stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, RunEvents } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const on = (peer: string, id: string, source: string, args: string[] = []): FunctionSpec => ({
  id,
  args,
  code: { kind: 'source', source },
  node: { peer },
});

describe('function output on handout peer processes', () => {
  let h: MeshHarness;
  let mesh: Mesh;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'output-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '5'] });
    h.spawnPeer({ id: 'w1', flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnPeer({ id: 'w2', flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers(['co', 'w1', 'w2']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('prints on a peer reach the submitter as function:log events and records, naming function, attempt and peer', async () => {
    const run = mesh.submit(
      dagOf([
        on(
          'w1',
          'hello',
          '() => { console.log("hello from", "w1"); console.warn("mind the gap"); return 2; }',
        ),
        on('w2', 'double', '(x) => { console.error("doubling", x); return x * 2; }', ['hello']),
        on('w2', 'broken', '(x) => { console.log("about to fail with", x); throw new Error("nope"); }', [
          'double',
        ]),
      ]),
    );
    const events: RunEvents['function:log'][] = [];
    run.on('function:log', (e) => events.push(e));
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(await run.result('double')).toBe(4);
    // Pieces (streamed while the function ran, then the rest with its outcome), joined per attempt.
    const seen: [string, number, string, string[]][] = [];
    for (const e of events) {
      const last = seen.at(-1);
      const lines = e.lines.map((l) => `${l.level} ${l.text}`);
      if (last && last[0] === e.id && last[1] === e.attempt && last[2] === e.peer) last[3].push(...lines);
      else seen.push([e.id, e.attempt, e.peer, lines]);
    }
    expect(seen).toEqual([
      ['hello', 1, 'w1', ['log hello from w1', 'warn mind the gap']],
      ['double', 1, 'w2', ['error doubling 2']],
      ['broken', 1, 'w2', ['log about to fail with 4']],
    ]);
    const broken = summary.functions.find((r) => r.id === 'broken')!;
    expect(broken.logs?.[0]?.lines[0]?.text).toBe('about to fail with 4');
    // The peers' own output (their JSON log lines on stdout, stderr) carries none of it.
    for (const id of ['w1', 'w2', 'co']) {
      const p = h.peers.get(id)!;
      const text = JSON.stringify(p.lines) + p.stderr.join('');
      expect(text, id).not.toContain('hello from');
      expect(text, id).not.toContain('doubling');
    }
  }, 60_000);

  it('a print on a peer process reaches the submitter while its function runs; prints before a timeout kill survive it', async () => {
    const run = mesh.submit(
      dagOf([
        on(
          'w1',
          'slow',
          'async () => { console.log("started slow work"); await new Promise((r) => setTimeout(r, 2500)); return 1; }',
        ),
        {
          ...on('w2', 'spins', '() => { console.log("entering the loop"); for (;;) {} }'),
          timeoutMs: 1500,
          retries: 0,
        },
      ]),
    );
    const live: string[] = [];
    run.on('function:log', (e) => {
      // What the function's record said when the line arrived: still running means it was streamed.
      const status = run.records().find((r) => r.id === e.id)?.status;
      for (const l of e.lines) live.push(`${e.id}:${status}:${l.text}`);
    });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(live).toContain('slow:running:started slow work');
    expect(live).toContain('spins:running:entering the loop');
    const spins = summary.functions.find((r) => r.id === 'spins')!;
    expect(spins.error?.reason).toBe('timeout');
    expect(spins.logs?.[0]).toMatchObject({ attempt: 1, peer: 'w2' });
    expect(spins.logs?.[0]?.lines.map((l) => l.text)).toEqual(['entering the loop']);
  }, 60_000);

  it('handout run --signal --json prints one valid JSON document on stdout and the functions lines on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handout-output-'));
    try {
      const dagFile = join(dir, 'chatty.json');
      writeFileSync(
        dagFile,
        JSON.stringify(
          dagOf([
            on(
              'w1',
              'chatty',
              '() => { console.log("{ not json"); console.log("two\\nlines"); return [1, 2]; }',
            ),
          ]),
        ),
      );
      const r = await h.runCli(
        [
          'run',
          dagFile,
          '--json',
          '--progress',
          'none',
          '--signal',
          h.server.url,
          '--token',
          h.token(['submit'], 'cli-submitter'),
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.results.chatty).toEqual([1, 2]);
      const lines = r.stderr.split('\n');
      expect(lines).toContain('[chatty] { not json');
      expect(lines).toContain('[chatty] two');
      expect(lines).toContain('[chatty] lines');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
