/**
 * Browsers as real mesh peers, end to end (run inside test/netns/run.sh: Chromium needs the veth route to gather
 * ICE candidates; `--disable-features=WebRtcHideLocalIpsWithMdns` lets Node peers reach its host candidates).
 *
 * One mesh for the whole file, built like production: a signaling server serving demo/dist (`staticDir`), one
 * headless Node peer process that also coordinates (`handout peer --coordinator`), two Chromium pages on the
 * contribute page (each in its own browser context, so each has its own IndexedDB), and this test process as a
 * submit-only client (`connect()`), which therefore uses the mesh's coordinator. The tests run in order and
 * build on each other: the first run fills the caches the reload test reads; the last test closes a page.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionRecord, FunctionSpec, Run, RunSummary } from '@handout/peer-runtime';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { type PeerProcess, spawnCli } from '../harness/mesh-harness.js';
import { ContributePage } from './pages/contribute-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { launchChromium, openPage } from './support/browser.js';
import { closeMesh } from './support/mesh-dashboard.js';
import { artifactsDir } from './support/paths.js';

const MESH = 'e2e-mesh';
const NODE_PEER = 'node-1';

/**
 * Spends about `ms` of CPU, then returns a 20,000-character string derived from `i`: bigger than the 16 KiB a
 * result may ride inline with its completion, so results stay on the peer that made them (and in its cache),
 * and the submitter fetches each one from that peer over a data channel.
 */
const BIG = `(i, ms) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  let s = '';
  for (let k = 0; k < 2000; k++) s += String((i * 7919 + k * 31) % 100000).padStart(10, '0');
  return s;
}`;
/** Spends about `ms` of CPU and returns a small number (inline: it survives its peer in the coordinator). */
const SMALL = `(i, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return i * i + 1; }`;

const evaluate = (source: string) => new Function(`return ${source}`)() as (i: number, ms: number) => unknown;

function flatDag(prefix: string, source: string, n: number, ms: number): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let i = 0; i < n; i++) {
    functions.push({
      id: `${prefix}-${i}`,
      args: [],
      code: { kind: 'source', source },
      extraArgs: [i, ms],
      cost: { cpu: 1, estimateMs: ms },
    });
  }
  return { format: 'handout-dag', version: 1, functions };
}

/** Waits for the run and fetches every result; fails naming the functions that did not succeed. */
async function finish(
  run: Run,
  dag: DagJSON,
): Promise<{ summary: RunSummary; results: Map<string, unknown> }> {
  const summary = await run.done;
  const failures = summary.functions
    .filter((r) => r.status !== 'succeeded')
    .map((r) => `${r.id}: ${r.status} ${r.error?.message ?? ''}`);
  expect(failures, 'functions that did not succeed').toEqual([]);
  expect(summary.status).toBe('succeeded');
  const results = new Map<string, unknown>();
  for (const f of dag.functions) results.set(f.id, await run.result(f.id));
  return { summary, results };
}

function expectResults(results: Map<string, unknown>, source: string): void {
  const fn = evaluate(source);
  for (const [id, value] of results) {
    const i = Number(id.slice(id.lastIndexOf('-') + 1));
    expect(value, `result of ${id}`).toEqual(fn(i, 0));
  }
}

function countByPeer(records: readonly FunctionRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.peer ?? '?', (counts.get(r.peer ?? '?') ?? 0) + 1);
  return counts;
}

describe('browsers as mesh peers (Chromium, WebRTC, one mesh)', () => {
  let server: SignalingServer;
  let nodePeer: PeerProcess;
  let cacheDir: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pages: Array<{ page: Page; contribute: ContributePage; errors: string[] }> = [];
  let submitter: Mesh;
  const ids: string[] = [];
  let firstRun: { summary: RunSummary } | undefined;
  const bigDag = flatDag('big', BIG, 36, 60);

  const token = (roles: Array<'contribute' | 'submit' | 'coordinate'>, sub?: string): string =>
    server.issueToken({ mesh: MESH, roles, ttlSeconds: 3600, ...(sub ? { sub } : {}) });
  const query = (roles: Array<'contribute' | 'submit' | 'coordinate'>): string =>
    `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token(roles))}`;
  const members = async (): Promise<string[]> => (await server.peers(MESH)).map((p) => p.peerId);

  async function waitForMembers(wanted: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let have = await members(); !wanted.every((id) => have.includes(id)); have = await members()) {
      if (Date.now() > deadline)
        throw new Error(`members ${wanted.join(', ')} not all joined; have ${have.join(', ')}\n${logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const logs = (): string =>
    `--- node peer ---\n${nodePeer?.lines.map((l) => JSON.stringify(l)).join('\n')}\n${nodePeer?.stderr.join('')}\n` +
    pages.map((p, i) => `--- page ${i} errors ---\n${p.errors.join('\n')}`).join('\n');

  beforeAll(async () => {
    server = await createSignalingServer({
      port: 0,
      host: '127.0.0.1',
      staticDir: inject('demoDist'),
      // Short presence and grace windows, so a closed page is announced gone quickly.
      presenceTimeoutMs: 2000,
      reconnectGraceMs: 1000,
    });
    cacheDir = mkdtempSync(join(tmpdir(), 'handout-e2e-node-'));
    nodePeer = spawnCli(NODE_PEER, [
      'peer',
      '--signal',
      server.url,
      '--token',
      token(['contribute', 'coordinate'], NODE_PEER),
      '--coordinator',
      '--concurrency',
      '1',
      '--cache-dir',
      cacheDir,
      '--json',
    ]);
    browser = await launchChromium();
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const { page, errors } = await openPage(context);
      const contribute = new ContributePage(page, server.url);
      pages.push({ page, contribute, errors });
    }
    // The pages come from the signaling server itself (its staticDir), as a person would open them.
    await Promise.all(pages.map((p) => p.contribute.open(query(['contribute']))));
    for (const p of pages) ids.push(await p.contribute.waitForJoin());
    await waitForMembers([NODE_PEER, ...ids], 60_000);
    submitter = await connect({ signal: server.url, token: token(['submit']), coordinator: 'mesh' });
  });

  afterAll(async () => {
    await submitter?.close();
    await closeMesh({ peers: nodePeer ? [nodePeer] : [], browser, server, dirs: cacheDir ? [cacheDir] : [] });
  });

  it('two browser pages and a Node peer run one DAG submitted from the Node SDK, each running some of it, with correct results', async () => {
    expect(submitter.coordinatorId()).toBe(NODE_PEER);
    const { summary, results } = await finish(submitter.submit(bigDag), bigDag);
    firstRun = { summary };
    const counts = countByPeer(summary.functions);
    // The allocator's own choice (no pins): every member with a slot got a share.
    for (const id of [NODE_PEER, ...ids])
      expect(counts.get(id) ?? 0, `functions run by ${id}`).toBeGreaterThan(0);
    expect([...counts.keys()].sort()).toEqual([NODE_PEER, ...ids].sort());
    expect(summary.functions.every((r) => !r.cached)).toBe(true);
    expectResults(results, BIG);

    // Each page saw its own share: finished counters and IndexedDB entries.
    for (const [i, p] of pages.entries()) {
      await p.page.waitForFunction(
        (n) => Number(document.body.dataset.cacheEntries) >= n,
        counts.get(ids[i]!)!,
        { timeout: 5000 },
      );
      expect(await p.contribute.finished()).toBeGreaterThanOrEqual(counts.get(ids[i]!)!);
      expect(await p.contribute.meshPeersText()).toMatch(/browser/);
      await p.page.screenshot({ path: `${artifactsDir}/mesh-contribute-${i}.png`, fullPage: true });
    }
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });

  it('a reloaded page keeps its IndexedDB cache, and a rerun takes its results from there: cached, executed nowhere', async () => {
    expect(firstRun, 'the first test ran').toBeDefined();
    const a = pages[0]!;
    const before = await a.contribute.cacheEntries();
    const ranOnA = firstRun!.summary.functions.filter((r) => r.peer === ids[0]).map((r) => r.id);
    expect(before).toBeGreaterThanOrEqual(ranOnA.length);

    await a.contribute.reload();
    const newId = await a.contribute.waitForJoin(ids[0]);
    expect(await a.contribute.cacheEntries()).toBe(before);
    await waitForMembers([newId]);
    // The page announces its holdings when it joins; give the coordinator a moment to hear it.
    await new Promise((r) => setTimeout(r, 1000));
    const finishedBefore = await Promise.all(pages.map((p) => p.contribute.finished()));

    const run = submitter.submit(bigDag);
    let started = 0;
    run.on('task:started', () => started++);
    const { summary, results } = await finish(run, bigDag);
    expect(started, 'functions executed by the rerun').toBe(0);
    expect(summary.functions.every((r) => r.cached)).toBe(true);
    // What page A computed before the reload is now served by page A under its new id, from IndexedDB (no other
    // peer ever held those results: they were too big to travel inline and nothing consumed them).
    const servedByA = summary.functions.filter((r) => ranOnA.includes(r.id));
    expect(servedByA.map((r) => r.peer)).toEqual(ranOnA.map(() => newId));
    expectResults(results, BIG);
    expect(await Promise.all(pages.map((p) => p.contribute.finished()))).toEqual([0, finishedBefore[1]]);
    ids[0] = newId;
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });

  it('a paused page gets no work until it resumes, and its cores slider changes the slots it advertises', async () => {
    const b = pages[1]!;
    const state = async (id: string) => (await server.peers(MESH)).find((p) => p.peerId === id)?.state;
    const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await b.page.click('#pause');
    await until('page B is paused on the mesh', async () => (await state(ids[1]!))?.paused === true);
    expect(await b.page.locator('#state').textContent()).toBe('paused');
    const dag = flatDag('paused', SMALL, 12, 40);
    const { summary, results } = await finish(submitter.submit(dag), dag);
    expect(summary.functions.filter((r) => r.peer === ids[1])).toEqual([]);
    expectResults(results, SMALL);
    await b.page.click('#pause');
    await until('page B is back', async () => (await state(ids[1]!))?.paused === false);

    const a = pages[0]!;
    const cores = Number(await a.page.getAttribute('#cores', 'max'));
    const setSlider = (n: number) =>
      a.page.evaluate((value) => {
        const input = document.querySelector<HTMLInputElement>('#cores')!;
        input.value = String(value);
        input.dispatchEvent(new Event('input'));
        input.dispatchEvent(new Event('change'));
      }, n);
    const before = (await state(ids[0]!))!.slots;
    const other = before === cores ? 1 : cores;
    if (other !== before) {
      await setSlider(other);
      await until(`page A advertises ${other} slots`, async () => (await state(ids[0]!))?.slots === other);
      expect(await a.page.locator('#cores-label').textContent()).toBe(`${other} of ${cores} cores`);
      await setSlider(before);
      await until(
        `page A advertises ${before} slots again`,
        async () => (await state(ids[0]!))?.slots === before,
      );
    }
  });

  it('the dashboard on the mesh lists the peers, draws the DAG and a task stream with a lane per peer', async () => {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
      deviceScaleFactor: 1,
    });
    contexts.push(context);
    const { page, errors } = await openPage(context);
    const dashboard = new DashboardPage(page, server.url);
    await dashboard.open(`${query(['submit'])}&dag=primes`);
    expect(await page.getAttribute('body', 'data-source')).toBe('mesh');
    // The peers: the Node peer and both pages (and the Node submitter), live from the signaling membership.
    await page.waitForFunction(
      (wanted) => wanted.every((id) => document.querySelector(`#peers tr[data-peer="${id}"]`) !== null),
      [NODE_PEER, ...ids],
      { timeout: 10_000 },
    );
    expect(await page.locator(`#peers tr[data-peer="${NODE_PEER}"] .sub`).textContent()).toMatch(
      /node.*coordinate/,
    );
    expect(await page.locator(`#peers tr[data-peer="${ids[1]}"] .sub`).textContent()).toMatch(/browser/);

    await dashboard.run();
    expect(await dashboard.waitForRunEnd(60_000)).toBe('succeeded');
    await page.waitForTimeout(300); // the last animation frame
    await page.screenshot({ path: `${artifactsDir}/mesh-dashboard.png`, fullPage: true });

    // The DAG: 24 counts, 4 partial sums, the total, all succeeded.
    const statuses = await dashboard.nodeStatuses();
    expect(Object.keys(statuses)).toHaveLength(29);
    expect(new Set(Object.values(statuses))).toEqual(new Set(['succeeded']));
    // The task stream: one bar per function, in lanes named by the peers that ran them (peer ids from the events).
    const bars = await dashboard.bars();
    expect(new Set(bars.map((b) => b.id)).size).toBe(29);
    const lanes = new Set(bars.map((b) => b.lane));
    for (const lane of lanes) expect([NODE_PEER, ...ids]).toContain(lane);
    expect(lanes.size).toBeGreaterThanOrEqual(2);
    expect(await dashboard.streamLaneCount()).toBe(lanes.size);
    expect(await dashboard.percent.textContent()).toBe('100%');
    // Coordinators pipeline (dispatch ahead of a free slot); the views still never show a one-slot peer running
    // two functions at once.
    const load = await page.evaluate(() => {
      type Step = { at: number; running: number };
      type Model = { stepsByLane(): Map<string, Step[]> };
      const handle = (globalThis as { handout?: { current(): { model: Model } | undefined } }).handout;
      const peak: Record<string, number> = {};
      const last: Record<string, number> = {};
      for (const [lane, steps] of handle?.current()?.model.stepsByLane() ?? []) {
        peak[lane] = Math.max(0, ...steps.map((s) => s.running));
        last[lane] = steps[steps.length - 1]?.running ?? 0;
      }
      return { peak, last };
    });
    expect(Object.keys(load.peak).sort()).toEqual([...lanes].sort());
    for (const lane of lanes) {
      expect(load.peak[lane], `functions running at once on ${lane}`).toBe(1);
      expect(load.last[lane], `functions still counted as running on ${lane} after the run`).toBe(0);
    }
    // The answer itself: primes in [5,000,000, 9,800,000).
    expect(await dashboard.message()).toMatch(/^done: 29 functions/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a contribute tab's function output reaches the Node submitter live, attributed to the tab, even past a timeout", async () => {
    const tab = ids[0]!;
    const on = (id: string, source: string, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
      id,
      args: [],
      code: { kind: 'source', source },
      node: { peer: tab },
      ...extra,
    });
    const dag: DagJSON = {
      format: 'handout-dag',
      version: 1,
      functions: [
        on(
          'tab-slow',
          'async () => { console.log("in the tab", 1); await new Promise((r) => setTimeout(r, 1500)); console.error("still here"); return 3; }',
        ),
        on('tab-spins', '() => { console.warn("looping now"); for (;;) {} }', {
          timeoutMs: 1500,
          retries: 0,
        }),
      ],
    };
    const run = submitter.submit(dag);
    const live: string[] = [];
    run.on('function:log', (e) => {
      const status = run.records().find((r) => r.id === e.id)?.status;
      for (const l of e.lines) live.push(`${e.id}@${e.peer}:${status}:${l.level}:${l.text}`);
    });
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    expect(await run.result('tab-slow')).toBe(3);
    // Printed in the tab's Web Worker, streamed to the coordinator and on to this process while still running.
    expect(live).toContain(`tab-slow@${tab}:running:log:in the tab 1`);
    expect(live).toContain(`tab-slow@${tab}:running:error:still here`);
    expect(live).toContain(`tab-spins@${tab}:running:warn:looping now`);
    const spins = summary.functions.find((r) => r.id === 'tab-spins')!;
    expect(spins.error?.reason).toBe('timeout');
    expect(spins.logs?.[0]?.peer).toBe(tab);
    expect(spins.logs?.[0]?.lines.map((l) => l.text)).toEqual(['looping now']);
    const slow = summary.functions.find((r) => r.id === 'tab-slow')!;
    expect(slow.logs?.[0]?.lines.map((l) => `${l.level} ${l.text}`)).toEqual([
      'log in the tab 1',
      'error still here',
    ]);
    // Captured, not written to the tab's console (a console.error there would be in the page's errors).
    expect(pages[0]!.errors.join('\n')).not.toContain('still here');
  });

  it('closing one page mid-run: the run completes on the others with correct results', async () => {
    const parts = flatDag('small', SMALL, 30, 250);
    // A reducer over every part: it runs after page B is gone, so it needs B's finished parts, which reach it
    // inline through the coordinator (small results survive the peer that made them).
    const dag: DagJSON = {
      ...parts,
      functions: [
        ...parts.functions,
        {
          id: 'total',
          args: parts.functions.map((f) => f.id),
          code: { kind: 'source', source: '(...xs) => xs.reduce((a, b) => a + b, 0)' },
        },
      ],
    };
    const run = submitter.submit(dag);
    const closing = ids[1]!;
    // Close page B as soon as it has started something of this run.
    await new Promise<void>((resolve) => {
      const off = run.on('task:started', ({ peer }) => {
        if (peer === closing) {
          off();
          resolve();
        }
      });
    });
    await contexts[1]!.close();
    const summary = await run.done;
    const failures = summary.functions.filter((r) => r.status !== 'succeeded').map((r) => r.id);
    expect(failures, 'functions that did not succeed').toEqual([]);
    expect(summary.status).toBe('succeeded');
    const square = evaluate(SMALL);
    const expected = Array.from({ length: 30 }, (_, i) => square(i, 0) as number).reduce((a, b) => a + b, 0);
    expect(await run.result('total')).toBe(expected);
    // Every part that lives on a peer still in the mesh is fetched and checked too. (A part only page B held is
    // not: a remote submitter fetches from holders, and a Node submitter has no lineage recompute for a lost
    // final result yet; the reducer above has checked its value.)
    for (const r of summary.functions) {
      if (r.id === 'total' || r.peer === closing) continue;
      expect(await run.result(r.id), `result of ${r.id}`).toBe(square(Number(r.id.slice(6)), 0));
    }
    const counts = countByPeer(summary.functions);
    // The others finished the run; page B's unfinished work was handed back or re-run elsewhere.
    expect((counts.get(NODE_PEER) ?? 0) + (counts.get(ids[0]!) ?? 0)).toBeGreaterThan(0);
    const attemptsOnB = summary.functions.flatMap((r) => r.history.filter((a) => a.peer === closing));
    expect(attemptsOnB.length).toBeGreaterThan(0);
    expect(await members()).not.toContain(closing);
  });
});
