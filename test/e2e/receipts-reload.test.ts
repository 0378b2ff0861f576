/**
 * A contribute tab's cache receipts across a reload, in Chromium over real WebRTC (run inside test/netns/run.sh).
 * The receipts a browser peer keeps live in IndexedDB beside its result cache
 * (peer-runtime/src/platform/state-files.browser.ts); before they did, a reloaded tab still had its results but
 * nothing a restarted coordinator would believe, so its cache counted for nothing.
 *
 * The mesh: a signaling server serving demo/dist, a Node coordinator process that does not contribute (`handout
 * peer --coordinator` with a `coordinate` token; its cache directory kept across its restart), one Chromium tab on
 * the contribute page with an untrusted contribute token, and this test process as a submit-only client. The tab
 * computes every function; then the coordinator is SIGKILLed, the tab reloads (its in-memory receipts are gone),
 * and the coordinator comes back with no memory of the run. A rerun is served from the tab's cache only if the
 * receipts it reads back from IndexedDB check.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, Run, RunSummary } from '@handout/peer-runtime';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { type PeerProcess, spawnCli } from '../harness/mesh-harness.js';
import { ContributePage } from './pages/contribute-page.js';
import { launchChromium, openPage } from './support/browser.js';
import { closeMesh } from './support/mesh-dashboard.js';

const MESH = 'e2e-receipts';
const CO = 'co';
/** 20,000 characters from `i`: too big to ride inline, so after the restart only the tab's cache has it. */
const BIG = `(i) => {
  let s = '';
  for (let k = 0; k < 2000; k++) s += String((i * 7919 + k * 31) % 100000).padStart(10, '0');
  return s;
}`;
const expected = (i: number): string => {
  let s = '';
  for (let k = 0; k < 2000; k++) s += String((i * 7919 + k * 31) % 100000).padStart(10, '0');
  return s;
};
const N = 6;
const dag: DagJSON = {
  format: 'handout-dag',
  version: 1,
  functions: Array.from(
    { length: N },
    (_, i): FunctionSpec => ({
      id: `r-${i}`,
      args: [],
      code: { kind: 'source', source: BIG },
      extraArgs: [i],
    }),
  ),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a contribute tab that computed, then reloaded, while the coordinator restarted', () => {
  let server: SignalingServer;
  let co: PeerProcess;
  let cacheDir: string;
  let browser: Browser;
  let submitter: Mesh | undefined;
  let contribute: ContributePage;
  let pageErrors: string[];

  const token = (roles: Array<'contribute' | 'submit' | 'coordinate'>, sub?: string): string =>
    server.issueToken({ mesh: MESH, roles, ttlSeconds: 3600, ...(sub ? { sub } : {}) });
  const members = async (): Promise<string[]> => (await server.peers(MESH)).map((p) => p.peerId);
  const logs = (): string =>
    `--- coordinator ---\n${co?.lines.map((l) => JSON.stringify(l)).join('\n')}\n${co?.stderr.join('')}\n` +
    `--- page errors ---\n${pageErrors?.join('\n')}`;
  async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen\n${logs()}`);
      await sleep(100);
    }
  }
  const spawnCoordinator = (): PeerProcess =>
    spawnCli(CO, [
      'peer',
      '--signal',
      server.url,
      '--token',
      token(['coordinate'], CO),
      '--coordinator',
      '--cache-dir',
      cacheDir,
      '--json',
    ]);
  const connectSubmitter = async (): Promise<Mesh> => {
    const mesh = await connect({ signal: server.url, token: token(['submit']), coordinator: 'mesh' });
    await until('the submitter finding the coordinator', async () => mesh.coordinatorId() === CO);
    return mesh;
  };
  async function results(run: Run): Promise<RunSummary> {
    const summary = await run.done;
    expect(summary.status, logs()).toBe('succeeded');
    for (let i = 0; i < N; i++) expect(await run.result(`r-${i}`), `r-${i}`).toBe(expected(i));
    return summary;
  }

  beforeAll(async () => {
    server = await createSignalingServer({
      port: 0,
      host: '127.0.0.1',
      staticDir: inject('demoDist'),
      presenceTimeoutMs: 2000,
      reconnectGraceMs: 1000,
    });
    cacheDir = mkdtempSync(join(tmpdir(), 'handout-e2e-receipts-co-'));
    co = spawnCoordinator();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await openPage(context);
    pageErrors = errors;
    contribute = new ContributePage(page, server.url);
  });

  afterAll(async () => {
    await submitter?.close();
    await closeMesh({ peers: co ? [co] : [], browser, server, dirs: cacheDir ? [cacheDir] : [] });
  });

  it('has its receipts honoured after the reload: the rerun is served from its IndexedDB cache', async () => {
    const query = `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token(['contribute']))}`;
    await contribute.open(query);
    const firstId = await contribute.waitForJoin();
    await until('both members joining', async () => {
      const m = await members();
      return m.includes(CO) && m.includes(firstId);
    });
    submitter = await connectSubmitter();

    // 1. The tab computes everything (the coordinator does not contribute).
    const first = await results(submitter.submit(dag));
    for (const r of first.functions) {
      expect(r.peer, r.id).toBe(firstId);
      expect(r.cached, r.id).not.toBe(true);
    }
    // Its receipts reach IndexedDB (`<cache name>:receipts.jsonl`, one row per receipt).
    const receiptRows = () =>
      contribute.page.evaluate(async () => {
        const dbs = await indexedDB.databases();
        const name = dbs.map((d) => d.name ?? '').find((n) => n.endsWith(':receipts.jsonl'));
        if (!name) return 0;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(name);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        try {
          const tx = db.transaction(db.objectStoreNames[0]!, 'readonly');
          const count = tx.objectStore(db.objectStoreNames[0]!).count();
          return await new Promise<number>((resolve) => {
            count.onsuccess = () => resolve(count.result);
          });
        } finally {
          db.close();
        }
      });
    await until('the receipts reaching IndexedDB', async () => (await receiptRows()) >= N);

    // 2. The coordinator dies; the tab reloads (losing everything it held in memory); the coordinator comes
    //    back knowing nothing of the first run.
    await submitter.close();
    submitter = undefined;
    co.kill('SIGKILL');
    await co.exited;
    await until('the killed coordinator leaving', async () => !(await members()).includes(CO));
    await contribute.reload();
    const secondId = await contribute.waitForJoin(firstId);
    co = spawnCoordinator();
    await co.waitFor((l) => l.event === 'joined', 60_000);
    await until('both members joining again', async () => {
      const m = await members();
      return m.includes(CO) && m.includes(secondId);
    });
    submitter = await connectSubmitter();

    // 3. The rerun: every function a cache hit on the reloaded tab, its bytes fetched from it and checked.
    const finishedBefore = await contribute.finished();
    const rerun = await results(submitter.submit(dag));
    for (const r of rerun.functions) {
      expect(r.cached, `${r.id}\n${logs()}`).toBe(true);
      expect(r.peer, r.id).toBe(secondId);
    }
    expect(await contribute.finished()).toBe(finishedBefore);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
