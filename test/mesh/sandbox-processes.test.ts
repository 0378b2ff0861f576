/**
 * The sandbox on real `handout peer` processes over real WebRTC (run inside test/netns/run.sh): a coordinator
 * process, a sandboxed peer and a `--trust-code` peer; this test process submits through `connect()`. Each
 * escape attempt is pinned to the sandboxed peer and must fail with a SandboxError naming the function and what
 * it tried, leaving no marker file and no request on a real HTTP server. Code that needs Node's powers runs when
 * pinned to `trusted-code` peers, and fails with the unmet need when none is there.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionRecord, FunctionSpec } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const onBoxed = (id: string, source: string, extraArgs: unknown[] = []): FunctionSpec => ({
  id,
  args: [],
  code: { kind: 'source', source },
  extraArgs,
  node: { peer: 'boxed' },
});

describe('the sandbox on handout peer processes', () => {
  let h: MeshHarness;
  let mesh: Mesh;
  let dir: string;
  let server: Server;
  let serverUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handout-sandbox-mesh-'));
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startMeshHarness({ mesh: 'sandbox-test' });
    h.spawnPeer({ id: 'co', roles: ['coordinate'], flags: ['--coordinator', '--wait-timeout', '2'] });
    h.spawnPeer({ id: 'boxed', flags: ['--concurrency', '1', '--speed', '1'] });
    h.spawnPeer({ id: 'trusted', flags: ['--concurrency', '1', '--speed', '1', '--trust-code'] });
    await h.waitForMembers(['co', 'boxed', 'trusted']);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every escape attempt fails with a SandboxError naming the function and what it tried; nothing happens', async () => {
    const marker = (name: string) => join(dir, name);
    const attempts: [FunctionSpec, string][] = [
      [onBoxed('env', '() => globalThis.process.env.HANDOUT_TOKEN'), "tried to use 'process'"],
      [
        onBoxed('fs', "async (m) => (await import('node:fs')).writeFileSync(m, 'x')", [marker('fs')]),
        "tried to use 'import()'",
      ],
      [
        onBoxed('child', "async (m) => (await import('node:child_process')).execSync('touch ' + m)", [
          marker('child'),
        ]),
        "tried to use 'import()'",
      ],
      [
        onBoxed('req', "(m) => globalThis.require('node:fs').writeFileSync(m, 'x')", [marker('req')]),
        "tried to use 'require'",
      ],
      [
        onBoxed(
          'ctor',
          "(m) => globalThis.constructor.constructor('return process')().getBuiltinModule('node:fs').writeFileSync(m, 'x')",
          [marker('ctor')],
        ),
        "tried to use the 'Function' constructor",
      ],
      [onBoxed('net', '(u) => globalThis.fetch(u)', [`${serverUrl}/steal`]), "tried to use 'fetch'"],
      [onBoxed('idb', "() => globalThis.indexedDB.open('handout-results')"), "tried to use 'indexedDB'"],
    ];
    // One run per attempt: seven failing functions pinned to one 1-slot peer in a single run leave the last four
    // queued forever (a coordinator problem seen with plain throws too, reported to the lead).
    for (const [spec, what] of attempts) {
      const summary = await mesh.submit(dagOf([spec])).done;
      const record = summary.functions.find((r) => r.id === spec.id)!;
      expect(record.status, spec.id).toBe('failed');
      expect(record.peer, spec.id).toBe('boxed');
      expect(record.attempts, `${spec.id} is not retried`).toBe(1);
      expect(record.error?.name, spec.id).toBe('SandboxError');
      expect(record.error?.reason, spec.id).toBe('sandbox');
      expect(record.error?.message, spec.id).toContain(`function '${spec.id}' ${what}`);
    }
    for (const name of ['fs', 'child', 'req', 'ctor']) expect(existsSync(marker(name)), name).toBe(false);
    expect(requests).toEqual([]);
  }, 60_000);

  it('polluting Array.prototype fails, and the next function on the same worker sees it clean', async () => {
    const run = mesh.submit(
      dagOf([
        onBoxed('pollute', '() => { Array.prototype.evil = 1; return 1 }'),
        onBoxed('next', '() => [typeof [].evil, Object.isFrozen(Array.prototype)]'),
      ]),
    );
    const summary = await run.done;
    const pollute = summary.functions.find((r) => r.id === 'pollute')!;
    expect(pollute.error?.name).toBe('SandboxError');
    expect(pollute.error?.message).toContain("tried to change property 'evil' of a frozen object");
    expect(await run.result('next')).toEqual(['undefined', true]);
  }, 60_000);

  it('no peer process carries its token on its command line', () => {
    for (const id of ['co', 'boxed', 'trusted']) {
      const pid = h.peers.get(id)!.child.pid!;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline, id).not.toContain('--token');
      expect(cmdline, id).not.toMatch(/eyJ|\.[A-Za-z0-9_-]{20,}\./);
    }
  });

  it("a --trust-code peer warns, advertises 'trusted-code', and runs node:fs work pinned to it, with an empty environment", async () => {
    const trusted = h.peers.get('trusted')!;
    expect(trusted.stderr.join('')).toContain('WARNING: this peer runs function code with FULL POWERS');
    const info = (await h.server.peers('sandbox-test')).find((p) => p.peerId === 'trusted')!;
    expect(info.capabilities.tags).toContain('trusted-code');
    const boxed = (await h.server.peers('sandbox-test')).find((p) => p.peerId === 'boxed')!;
    expect(boxed.capabilities.tags).not.toContain('trusted-code');
    const file = join(dir, 'trusted-wrote');
    const run = mesh.submit(
      dagOf([
        {
          id: 'write',
          args: [],
          code: {
            kind: 'source',
            source:
              "async (m) => { (await import('node:fs')).writeFileSync(m, 'x'); return Object.keys(globalThis.process.env) }",
          },
          extraArgs: [file],
          node: { tags: ['trusted-code'] },
        },
      ]),
    );
    expect(await run.result('write')).toEqual([]);
    expect(run.records()[0]!.peer).toBe('trusted');
    expect(existsSync(file)).toBe(true);
  }, 60_000);

  it('the same work pinned to trusted-code fails with the unmet need once no such peer is left', async () => {
    const trusted = h.peers.get('trusted')!;
    trusted.kill('SIGKILL');
    await trusted.exited;
    await expect
      .poll(async () => (await h.server.peers('sandbox-test')).some((p) => p.peerId === 'trusted'), {
        timeout: 15_000,
      })
      .toBe(false);
    const file = join(dir, 'never-written');
    const run = mesh.submit(
      dagOf([
        {
          id: 'needs-fs',
          args: [],
          code: { kind: 'source', source: "async (m) => (await import('node:fs')).writeFileSync(m, 'x')" },
          extraArgs: [file],
          node: { tags: ['trusted-code'] },
        },
      ]),
    );
    const summary = await run.done;
    const record: FunctionRecord = summary.functions[0]!;
    expect(record.status).toBe('failed');
    expect(record.error?.reason).toBe('unsatisfiable');
    expect(record.error?.message).toContain('trusted-code');
    expect(existsSync(file)).toBe(false);
  }, 60_000);
});
