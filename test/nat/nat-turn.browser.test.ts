/**
 * A Chromium contribute tab behind a NAT takes part in a mesh through TURN (root; the NAT topology of
 * test/netns/nat-topology.ts, real coturn, `handout signal --turn-url --turn-secret`). The tab runs in home1's
 * namespace as peer `home-a`, a `handout peer` runs in home2 as `home-b`, and functions pinned to each need the
 * other's result, so the two homes must link, which behind two symmetric NATs only a relay allows. The page is
 * served by the signaling server and gets its TURN credentials from the welcome, with nothing configured.
 *
 * With UDP dropped by home1's router, a tab there reaches coturn over TCP (`turn:...?transport=tcp`, which Node
 * peers cannot use: libjuice speaks TURN over UDP only, libdatachannel#1484) and its link says so; that test is
 * browsers only (see its comment).
 *
 * It needs the demo's build, so it runs with the browser tests (test/e2e/vitest.config.ts includes it):
 *   bash test/netns/run.sh pnpm exec vitest run --config test/e2e/vitest.config.ts test/nat/nat-turn.browser.test.ts
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { ROLES } from '../../peer-runtime/src/signaling/contract.js';
import { ContributePage } from '../e2e/pages/contribute-page.js';
import { DashboardPage } from '../e2e/pages/dashboard-page.js';
import { launchChromium, openPage } from '../e2e/support/browser.js';
import { ACROSS_HOMES_DAG, type NatMesh, startNatMesh } from './nat-mesh.js';

let mesh: NatMesh | undefined;
let browser: Browser | undefined;
const others: Browser[] = [];
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  for (const b of others.splice(0)) await b.close();
  await mesh?.close();
  mesh = undefined;
});

/** The mesh with `home-a` left to a Chromium tab in home1, which joins before this returns. */
async function meshWithTab() {
  mesh = await startNatMesh({
    turn: true,
    externalHomes: ['home-a'],
    staticDir: inject('demoDist'),
  });
  browser = await launchChromium({
    netns: mesh.topology.homes[0]!.ns,
    // The page is served over plain HTTP from the public address; behind TLS (as deployed) it is a secure
    // context, which crypto.randomUUID and friends need: the flag gives it that here.
    args: [`--unsafely-treat-insecure-origin-as-secure=${mesh.signalUrl}`],
  });
  const context: BrowserContext = await browser.newContext();
  const tab = await openPage(context);
  const contribute = new ContributePage(tab.page, mesh.signalUrl);
  const token = mesh.token(['contribute'], 'home-a');
  await contribute.open(`?signal=${encodeURIComponent(mesh.signalUrl)}&token=${encodeURIComponent(token)}`);
  expect(await contribute.waitForJoin(undefined, 45_000)).toBe('home-a');
  await mesh.waitForMember('home-a');
  return { mesh, tab, contribute };
}

async function runAcrossHomes(m: NatMesh, tab: { errors: string[] }) {
  const { code, output, stderr } = await m.run(ACROSS_HOMES_DAG);
  if (output.status !== 'succeeded')
    throw new Error(`run ${output.status}: ${stderr}\n--- tab ---\n${tab.errors.join('\n')}\n${m.logs()}`);
  expect(code).toBe(0);
  expect(output.results).toMatchObject({ back: 50_000 + 99_998 });
  expect(Object.fromEntries(output.functions.map((f) => [f.id, f.peer]))).toEqual({
    big: 'home-a',
    twice: 'home-b',
    back: 'home-a',
  });
  return output;
}

describe('a Chromium contribute tab behind a NAT', () => {
  test('takes part through TURN with the credentials of its welcome, its link to the other home reported as relay', async () => {
    const { mesh: m, tab, contribute } = await meshWithTab();
    const output = await runAcrossHomes(m, tab);
    // home-b fetched 'big' from the tab, and the tab fetched 'twice' from home-b: both through the relay.
    expect(output.peers?.['home-b']?.links?.['home-a']).toBe('relay/udp');
    expect(output.peers?.['home-a']?.links?.['home-b']).toBe('relay/udp');
    expect(await contribute.finished()).toBeGreaterThanOrEqual(2);
    // coturn accepted the tab's REST credential (<expiry>:home-a), which only the welcome gave it.
    expect(m.turnLog.join('')).toMatch(/user <\d+:home-a>: incoming packet ALLOCATE processed, success/);
    expect(tab.errors).toEqual([]);
  }, 120_000);

  test('reaches TURN over TCP when its router drops UDP, and its link says so (browsers at both ends)', async () => {
    // Browsers only: a Node peer cannot take part in a link whose other end relays over TCP here. libjuice has
    // no TURN over TCP of its own (libdatachannel#1484), and against a tab relaying over TCP it answered the
    // tab's connectivity checks with 400 Bad Request ("Controlling and controlled attributes mismatch in
    // request"), so the tab never had a working pair (measured with Chromium's and libjuice's logs; see
    // docs/deploy.md). So the dashboard coordinates in the tab behind the UDP-dropping router, and a
    // contribute tab in the other home runs the work.
    mesh = await startNatMesh({
      turn: true,
      blockUdp: [1],
      turnUrls: ['turn:10.77.0.1:3478', 'turn:10.77.0.1:3478?transport=tcp'],
      externalHomes: ['home-a', 'home-b'],
      coordinator: false,
      staticDir: inject('demoDist'),
    });
    const m = mesh;
    const query = (token: string, extra = '') =>
      `?signal=${encodeURIComponent(m.signalUrl)}&token=${encodeURIComponent(token)}${extra}`;
    const secure = [`--unsafely-treat-insecure-origin-as-secure=${m.signalUrl}`];
    const second = await launchChromium({ netns: m.topology.homes[1]!.ns, args: secure });
    others.push(second);
    const worker = await openPage(await second.newContext());
    const contribute = new ContributePage(worker.page, m.signalUrl);
    await contribute.open(query(m.token(['contribute'], 'home-b')));
    expect(await contribute.waitForJoin(undefined, 45_000)).toBe('home-b');

    browser = await launchChromium({ netns: m.topology.homes[0]!.ns, args: secure });
    const dash = await openPage(await browser.newContext({ viewport: { width: 1440, height: 1000 } }));
    const dashboard = new DashboardPage(dash.page, m.signalUrl);
    await dashboard.open(query(m.token([...ROLES], 'dashboard'), '&dag=stg-rand0000'));
    await dash.page.waitForSelector('#peers tr[data-peer="home-b"]', { timeout: 30_000 });
    await dashboard.run();
    const status = await dashboard.waitForRunEnd(60_000);
    if (status !== 'succeeded')
      throw new Error(`run ${status}\n${[...dash.errors, ...worker.errors].join('\n')}\n${m.logs()}`);
    // Every function ran in the other home's tab, so every assignment and result crossed the relay.
    const bars = await dashboard.bars();
    expect(new Set(bars.map((b) => b.lane))).toEqual(new Set(['home-b']));
    // The dashboard's link to that tab: its own end a relay it reaches over TCP.
    await dash.page.waitForSelector('#peers tr[data-peer="home-b"][data-link]', { timeout: 10_000 });
    expect(await dash.page.getAttribute('#peers tr[data-peer="home-b"]', 'data-link')).toBe(
      'relay/udp via tcp',
    );
    // coturn: the dashboard's allocation came over TCP from its router's public address.
    const log = m.turnLog.join('');
    expect(log).toMatch(/tcp or tls connected to: 10\.77\.1\.2:\d+/);
    expect(log).toMatch(/user <\d+:dashboard>: incoming packet ALLOCATE processed, success/);
    expect([...dash.errors, ...worker.errors]).toEqual([]);
  }, 150_000);
});
