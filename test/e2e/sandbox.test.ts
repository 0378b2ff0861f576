/**
 * The sandbox in a Chromium contribute tab (run inside test/netns/run.sh): this test process submits through
 * `connect()` with an embedded coordinator, every function is pinned to the tab, and each escape attempt must
 * fail with a SandboxError naming the function and what it tried, with nothing happening: no request reaches a
 * real HTTP server, no IndexedDB database is created in the tab's origin, the next function sees
 * Array.prototype clean. The tab runs one worker (its reported cores are 1), so "the next function" runs in the
 * same worker as the one that tried to pollute it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { ContributePage } from './pages/contribute-page.js';
import { launchChromium, openPage } from './support/browser.js';

const MESH = 'sandbox-browser';
const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });

describe('the sandbox in a Chromium contribute tab', () => {
  let server: SignalingServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let tabId: string;
  let mesh: Mesh;
  let http: Server;
  let httpUrl: string;
  const requests: string[] = [];

  const onTab = (id: string, source: string, extraArgs: unknown[] = []): FunctionSpec => ({
    id,
    args: [],
    code: { kind: 'source', source },
    extraArgs,
    node: { peer: tabId },
  });

  beforeAll(async () => {
    http = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'access-control-allow-origin': '*' });
      res.end('ok');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: inject('demoDist') });
    browser = await launchChromium();
    context = await browser.newContext();
    // One worker in the tab: the pool sizes itself from navigator.hardwareConcurrency.
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 1 });
    });
    const opened = await openPage(context);
    page = opened.page;
    pageErrors = opened.errors;
    const contribute = new ContributePage(page, server.url);
    const token = server.issueToken({ mesh: MESH, roles: ['contribute'], ttlSeconds: 600 });
    await contribute.open(`?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token)}`);
    tabId = await contribute.waitForJoin();
    mesh = await connect({
      signal: server.url,
      token: server.issueToken({
        mesh: MESH,
        roles: ['submit', 'coordinate'],
        sub: 'submitter',
        ttlSeconds: 600,
      }),
    });
  });

  afterAll(async () => {
    await mesh?.close();
    await context?.close();
    await browser?.close();
    await server?.close();
    await new Promise<void>((resolve) => http?.close(() => resolve()));
  });

  it('every escape attempt fails with a SandboxError naming the function and what it tried; nothing happens', async () => {
    const attempts: [FunctionSpec, string][] = [
      [onTab('fetch', '(u) => globalThis.fetch(u)', [`${httpUrl}/steal`]), "tried to use 'fetch'"],
      [onTab('signal', '(u) => globalThis.fetch(u + "/health")', [server.url]), "tried to use 'fetch'"],
      [onTab('idb', "() => globalThis.indexedDB.open('sandbox-escape')"), "tried to use 'indexedDB'"],
      [onTab('self', '() => globalThis.self.postMessage("x")'), "tried to use 'self'"],
      [onTab('imp', `() => import(${JSON.stringify(`${httpUrl}/x.js`)})`), "tried to use 'import()'"],
      [
        onTab(
          'ctor',
          "() => globalThis.constructor.constructor('return self')().indexedDB.open('sandbox-escape')",
        ),
        "tried to use the 'Function' constructor",
      ],
      [onTab('xhr', '() => new globalThis.XMLHttpRequest()'), "tried to use 'XMLHttpRequest'"],
      [onTab('process', '() => globalThis.process.env'), "tried to use 'process'"],
      [
        // Browsers call a timer callback with the worker's own global as `this`; the sandbox's timer does not.
        onTab(
          'timerthis',
          '(u) => new Promise((r) => setTimeout(function () { r(this) }, 0)).then((t) => (t === undefined ? globalThis : t).fetch(u))',
          [`${httpUrl}/via-timer`],
        ),
        "tried to use 'fetch'",
      ],
      [
        {
          id: 'datamod',
          args: [],
          code: { kind: 'module', module: 'data:text/javascript,export const f = () => 1;', export: 'f' },
          node: { peer: tabId },
        },
        "tried to load module 'data:text/javascript",
      ],
      [
        {
          id: 'httpmod',
          args: [],
          code: { kind: 'module', module: `${httpUrl}/evil.js`, export: 'f' },
          node: { peer: tabId },
        },
        `tried to load module '${httpUrl}/evil.js', which this peer does not allow`,
      ],
    ];
    // One run per attempt (see test/mesh/sandbox-processes.test.ts for why).
    for (const [spec, what] of attempts) {
      const summary = await mesh.submit(dagOf([spec])).done;
      const record = summary.functions[0]!;
      expect(record.status, spec.id).toBe('failed');
      expect(record.peer, spec.id).toBe(tabId);
      expect(record.error?.name, spec.id).toBe('SandboxError');
      expect(record.error?.message, spec.id).toContain(`function '${spec.id}' ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toEqual([]);
    const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(databases).not.toContain('sandbox-escape');
    expect(pageErrors).toEqual([]);
  });

  it('polluting Array.prototype fails, and the next function in the same worker sees it clean', async () => {
    const run = mesh.submit(
      dagOf([
        onTab('pollute', '() => { Array.prototype.evil = 1; return 1 }'),
        onTab('next', '() => [typeof [].evil, Object.isFrozen(Array.prototype), 6 * 7]'),
      ]),
    );
    const summary = await run.done;
    const pollute = summary.functions.find((r) => r.id === 'pollute')!;
    expect(pollute.error?.name).toBe('SandboxError');
    expect(pollute.error?.message).toContain("tried to change property 'evil' of a frozen object");
    expect(await run.result('next')).toEqual(['undefined', true, 42]);
  });
});
