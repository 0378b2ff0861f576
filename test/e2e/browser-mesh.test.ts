/**
 * A mesh of browsers only, the first thing a person tries after `handout signal --demo`: one contribute tab and
 * one dashboard tab, both opened from the signaling server with its every-role token and no Node peer at all.
 * With no coordinator in the mesh, the dashboard coordinates from the tab (the SDK's embedded coordinator, in the
 * browser), and the work crosses a Chromium ↔ Chromium data channel. Run inside test/netns/run.sh.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLES } from '../../peer-runtime/src/signaling/contract.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { ContributePage } from './pages/contribute-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { launchChromium, openPage } from './support/browser.js';
import { artifactsDir } from './support/paths.js';

describe('a mesh of two browser tabs (no Node peer)', () => {
  let server: SignalingServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: inject('demoDist') });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a dashboard tab coordinates and a contribute tab runs the whole DAG, peer to peer', async () => {
    // The contribute tab only contributes; the dashboard coordinates, so its token is bound to its peer id.
    const query = (token: string) =>
      `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token)}`;
    const memberToken = server.issueToken({ mesh: 'default', roles: ['contribute'], ttlSeconds: 600 });
    const dashboardToken = server.issueToken({
      mesh: 'default',
      roles: ROLES,
      sub: 'dashboard',
      ttlSeconds: 600,
    });
    const contributeContext = await browser.newContext();
    const contributor = await openPage(contributeContext);
    const contribute = new ContributePage(contributor.page, server.url);
    await contribute.open(query(memberToken));
    const workerId = await contribute.waitForJoin();

    const dashboardContext = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const dash = await openPage(dashboardContext);
    const dashboard = new DashboardPage(dash.page, server.url);
    await dashboard.open(`${query(dashboardToken)}&dag=stg-rand0000`);
    await dash.page.waitForSelector(`#peers tr[data-peer="${workerId}"]`, { timeout: 10_000 });
    await dashboard.run();
    expect(await dashboard.waitForRunEnd(60_000)).toBe('succeeded');
    await dash.page.waitForTimeout(300);
    await dash.page.screenshot({ path: `${artifactsDir}/browser-mesh-dashboard.png`, fullPage: true });

    const statuses = await dashboard.nodeStatuses();
    expect(new Set(Object.values(statuses))).toEqual(new Set(['succeeded']));
    const bars = await dashboard.bars();
    // Every function ran in the contribute tab: the dashboard only coordinates.
    expect(new Set(bars.map((b) => b.lane))).toEqual(new Set([workerId]));
    expect(new Set(bars.map((b) => b.id)).size).toBe(Object.keys(statuses).length);
    expect(await contribute.finished()).toBeGreaterThanOrEqual(bars.length);
    expect([...contributor.errors, ...dash.errors]).toEqual([]);
    await dashboardContext.close();
    await contributeContext.close();
  });
});
