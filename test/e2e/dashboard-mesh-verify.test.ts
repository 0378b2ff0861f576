/**
 * The dashboard's detail panel on a real mesh run with result verification: a coordinator process, two honest
 * `handout peer` processes and one lying contributor (test/fixtures/liar-peer.ts: a real peer whose pool forges
 * every value), all over real WebRTC; a submit-only Chromium tab uploads a DAG whose functions carry their own
 * `verify` policy and runs it. Clicking a function in the task stream shows how its result was accepted: the
 * outcome, the peers that agreed (the liar never among them), the ones that lost, and the accepted digest.
 * Run inside test/netns/run.sh.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, FunctionVerification } from '@handout/peer-runtime';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { CLI, type PeerProcess, ROOT, wrapProcess } from '../harness/mesh-harness.js';
import { launchChromium } from './support/browser.js';
import { closeMesh, openMeshDashboard, waitForMembers } from './support/mesh-dashboard.js';
import { artifactsDir } from './support/paths.js';

const MESH = 'dash-verify';
const HONEST = ['h1', 'h2'] as const;
/** Every function replicated (trustAfter beyond the run: no spot-check draw lets one answer stand alone). */
const POLICY = { replicas: 2, trustAfter: 1000 };

/**
 * Six roots returning ~40 KB strings (above the 16 KiB inline limit, so consumers fetch them from the peers
 * that hold them) and three sums of two roots each. The values depend on `salt`, so no cache holds them.
 */
function verifiedDag(salt: number): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let k = 0; k < 6; k++)
    functions.push({
      id: `root-${k}`,
      args: [],
      code: { kind: 'source', source: '(k, salt) => (k + ":" + salt + ":").padEnd(40000, String(k))' },
      extraArgs: [k, salt],
      verify: POLICY,
    });
  for (let k = 0; k < 3; k++)
    functions.push({
      id: `sum-${k}`,
      args: [`root-${2 * k}`, `root-${2 * k + 1}`],
      code: { kind: 'source', source: '(a, b) => a.length + b.length' },
      verify: POLICY,
    });
  return { format: 'handout-dag', version: 1, functions };
}

/**
 * Inputs pinned so they cross between the two honest peers both ways: `big-k` (~200 KB, above the meter's
 * 64 KiB bandwidth sample) on one peer, its consumer `len-k` on the other.
 */
function crossingDag(salt: number): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let k = 0; k < 4; k++) {
    const [maker, user] = k % 2 === 0 ? HONEST : [HONEST[1], HONEST[0]];
    functions.push(
      {
        id: `big-${k}`,
        args: [],
        code: { kind: 'source', source: '(k, salt) => (k + ":" + salt + ":").padEnd(200000, String(k))' },
        extraArgs: [k, salt],
        node: maker,
      },
      { id: `len-${k}`, args: [`big-${k}`], code: { kind: 'source', source: '(s) => s.length' }, node: user },
    );
  }
  return { format: 'handout-dag', version: 1, functions };
}

interface DrawnLink {
  a: string;
  b: string;
  paths: string[];
  fetches: number;
  rttMs?: number;
  bandwidth: Array<{ from: string; to: string; bytesPerSecond: number }>;
  seenBy: string[];
}

describe('the dashboard on a mesh with a lying contributor', () => {
  let server: SignalingServer;
  let browser: Browser;
  const peers: PeerProcess[] = [];
  const dirs: string[] = [];

  const spawnMember = (id: string, roles: string[], args: string[]): void => {
    const token = server.issueToken({ mesh: MESH, roles: roles as never, ttlSeconds: 600, sub: id });
    // The token travels in the environment, never on the command line.
    const env = { ...process.env, HANDOUT_TOKEN: token };
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    peers.push(wrapProcess(id, child));
  };

  beforeAll(async () => {
    server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: inject('demoDist') });
    const peerArgs = (flags: string[]): string[] => {
      const dir = mkdtempSync(join(tmpdir(), 'handout-verify-e2e-'));
      dirs.push(dir);
      return [CLI, 'peer', '--signal', server.url, '--cache-dir', dir, '--json', ...flags];
    };
    spawnMember('co', ['coordinate'], peerArgs(['--coordinator', '--wait-timeout', '20']));
    for (const id of HONEST)
      spawnMember(id, ['contribute'], peerArgs(['--concurrency', '1', '--speed', '1']));
    spawnMember('liar', ['contribute'], [join(ROOT, 'test/fixtures/liar-peer.ts'), server.url]);
    browser = await launchChromium();
    const ids = ['co', ...HONEST, 'liar'];
    await waitForMembers(server, MESH, ids, () =>
      peers.map((p) => `${p.id}: ${p.stderr.join('')}`).join('\n'),
    );
  });
  afterAll(() => closeMesh({ peers, browser, server, dirs }));

  it("a function's detail shows its verification: outcome, agreeing peers (never the liar), losers, digest", async () => {
    const { context, page, errors, dashboard } = await openMeshDashboard(browser, server, MESH, [
      ...HONEST,
      'liar',
    ]);
    await dashboard.upload('verified.json', JSON.stringify(verifiedDag(Date.now())));
    await dashboard.run();
    expect(await dashboard.waitForRunEnd(90_000)).toBe('succeeded');
    await page.waitForTimeout(700); // the views' last refresh

    // What the run's records say (the panel must show exactly this).
    const records = await page.evaluate(() => {
      type Handle = {
        current(): { model: { summary?: { functions: Array<{ id: string; verification?: unknown }> } } };
      };
      const summary = (globalThis as unknown as { handout: Handle }).handout.current().model.summary;
      return (summary?.functions ?? []).map((f) => ({ id: f.id, verification: f.verification }));
    });
    const verified = records as Array<{ id: string; verification?: FunctionVerification }>;
    expect(verified).toHaveLength(9);
    for (const r of verified) expect(r.verification?.outcome, r.id).toMatch(/^(agreed|disputed)$/);

    // The coordinator quarantined the liar: its row in the peers table says so, with the coordinator's reason on
    // hover; the honest peers' rows do not.
    const liarState = page.locator('#peers tr[data-peer="liar"] .state');
    await page.waitForSelector('#peers tr[data-peer="liar"][data-state="quarantined"]', { timeout: 5000 });
    expect(await liarState.textContent()).toBe('quarantined');
    expect(await liarState.getAttribute('title')).toMatch(/disagreed with the quorum/);
    for (const id of HONEST)
      expect(await page.locator(`#peers tr[data-peer="${id}"]`).getAttribute('data-state')).not.toBe(
        'quarantined',
      );

    // The liar (64 claimed slots, speed 1e6) is given work first and loses its quorums before its quarantine:
    // a disputed function names it as the loser. That one is shown.
    const chosen = verified.find((r) => r.verification!.outcome === 'disputed');
    expect(chosen, 'a disputed function').toBeDefined();
    const v = chosen!.verification!;
    // The task stream sits below the fold on this page (four peers' rows above it): bring it into view first,
    // so the click lands where the bar is drawn.
    await page.locator('#task-stream').scrollIntoViewIfNeeded();
    // Clicked on an honest peer's lane: those run one function at a time, while the liar's lane (64 claimed
    // slots) draws its bars over one another, so a click there lands on whichever bar is on top.
    const bar = (await dashboard.bars())
      .filter((b) => b.id === chosen!.id && (HONEST as readonly string[]).includes(b.lane))
      .sort((a, b) => b.width - a.width)[0];
    expect(bar, `a bar of ${chosen!.id} on an honest peer`).toBeDefined();
    await page.mouse.click(bar!.x + bar!.width / 2, bar!.y + bar!.height / 2);
    await page.waitForSelector(`#detail[data-id="${chosen!.id}"]:not([hidden])`);
    const fact = page.locator('#detail [data-fact="verification"]');
    expect(await fact.getAttribute('data-outcome')).toBe(v.outcome);
    expect(await fact.textContent()).toMatch(/disputed: a quorum agreed; other peers answered differently/);
    expect(await fact.textContent()).toContain(`policy: ${v.quorum} of ${v.replicas} must agree`);
    const peersIn = (key: string): Promise<string[]> =>
      fact
        .locator(`[data-peers="${key}"] .peer`)
        .evaluateAll((spans) => spans.map((s) => s.getAttribute('data-peer') ?? ''));
    const agreed = await peersIn('agreed');
    expect(agreed).toEqual([...v.agreed]);
    expect(agreed.length).toBeGreaterThanOrEqual(2);
    expect(agreed).not.toContain('liar');
    for (const p of agreed) expect(HONEST as readonly string[]).toContain(p);
    expect(await peersIn('disagreed')).toEqual([...v.disagreed]);
    expect(v.disagreed).toEqual(['liar']);
    // The digest: shown shortened, whole on hover, the one the coordinator accepted (hex SHA-256).
    expect(v.digest).toMatch(/^[0-9a-f]{64}$/);
    const digest = fact.locator(`[title="${v.digest}"]`);
    expect(await digest.textContent()).toBe(`digest ${v.digest!.slice(0, 12)}…`);
    // The attempts table lists every replica that ran, the agreeing peers among them.
    const lanes = (await dashboard.detailAttempts()).map((a) => a.lane);
    for (const p of agreed) expect(lanes).toContain(p);
    await page.screenshot({ path: `${artifactsDir}/dashboard-verify-detail.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 150_000);

  it('draws the links between peers the run reports: who fetched from whom, how it connected, the measured bandwidth', async () => {
    const { context, page, errors, dashboard } = await openMeshDashboard(browser, server, MESH, [...HONEST]);
    await dashboard.upload('crossing.json', JSON.stringify(crossingDag(Date.now())));
    await dashboard.run();
    expect(await dashboard.waitForRunEnd(90_000)).toBe('succeeded');
    await page.waitForTimeout(700); // the views' last refresh
    const [self, links] = await page.evaluate(() => {
      type Handle = { source: { selfId?: string }; peerLinks(): unknown };
      const handle = (globalThis as unknown as { handout: Handle }).handout;
      return [handle.source.selfId, handle.peerLinks()] as const;
    });
    const drawn = links as DrawnLink[];
    const between = drawn.find((l) => l.a === 'h1' && l.b === 'h2');
    expect(between, JSON.stringify(drawn)).toBeDefined();
    // Four inputs crossed, two each way, over a direct link (one network namespace: no TURN; the pair is host
    // or peer-reflexive, as the connectivity checks learned it).
    expect(between!.fetches).toBe(4);
    expect(between!.seenBy).toContain('fetch');
    expect(between!.paths).toHaveLength(1);
    expect(between!.paths[0]).toMatch(/^(host|prflx)\/udp$/);
    // Each ~200 KB fetch was timed by the peer that fetched it: a bandwidth for each direction.
    expect(between!.bandwidth.map((b) => `${b.from}>${b.to}`).sort()).toEqual(['h1>h2', 'h2>h1']);
    for (const b of between!.bandwidth) expect(b.bytesPerSecond).toBeGreaterThan(0);
    // This tab's own link to the coordinator it submitted to.
    const own = drawn.find((l) => [l.a, l.b].includes(self!) && [l.a, l.b].includes('co'));
    expect(own?.seenBy, JSON.stringify(drawn)).toContain('this tab');
    expect(own?.paths).toHaveLength(1);
    expect(own!.paths[0]).toMatch(/^(host|prflx)\/udp$/);

    // The page shows them: a table row per link and a solid line (not relayed) between the two peers.
    const row = page.locator('#peer-links tr[data-a="h1"][data-b="h2"]');
    expect(await row.getAttribute('data-paths')).toBe(between!.paths[0]);
    expect(await row.getAttribute('data-bandwidths')).toBe('2');
    expect(await row.locator('td').nth(2).textContent()).toBe('4');
    expect(await row.locator('td').nth(4).textContent()).toMatch(/h1→h2 [\d.]+ (B|KiB|MiB|GiB)\/s/);
    const line = page.locator('#peer-links line.peer-link[data-a="h1"][data-b="h2"]');
    expect(await line.count()).toBe(1);
    expect(await line.getAttribute('stroke-dasharray')).toBeNull();
    // One click to why: a consumer's detail names, per attempt, how the coordinator reached its peer and the
    // holder its input came from over which link.
    await page.locator('#task-stream').scrollIntoViewIfNeeded();
    const bar = (await dashboard.bars()).find((b) => b.id === 'len-0' && b.outcome === 'succeeded');
    await page.mouse.click(bar!.x + bar!.width / 2, bar!.y + bar!.height / 2);
    await page.waitForSelector('#detail[data-id="len-0"]:not([hidden])');
    const cell = page.locator('#detail table.attempts tbody tr td.attempt-link').first();
    const fetched = cell.locator('.fetched-from');
    expect(await fetched.getAttribute('data-peer')).toBe('h1');
    expect(await fetched.getAttribute('data-link')).toBe(between!.paths[0]);
    expect(await fetched.textContent()).toBe(`inputs from h1 over ${between!.paths[0]}`);
    await page.locator('#peer-links').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${artifactsDir}/dashboard-peer-links.png`, fullPage: true });
    console.log(
      `peer links: ${drawn.map((l) => `${l.a}<->${l.b} ${l.paths.join(',')} fetches=${l.fetches} rtt=${l.rttMs ?? '-'} bw=${l.bandwidth.map((b) => `${b.from}>${b.to}:${Math.round(b.bytesPerSecond)}`).join(',')} by=${l.seenBy.join(',')}`).join('; ')}`,
    );
    expect(errors).toEqual([]);
    await context.close();
  }, 150_000);
});
