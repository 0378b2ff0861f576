import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DashboardPage } from './pages/dashboard-page.js';
import { launchChromium, openPage } from './support/browser.js';
import { artifactsDir } from './support/paths.js';
import { type StaticServer, serveStatic } from './support/static-server.js';

describe('dashboard (local run in Chromium)', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await serveStatic(inject('demoDist'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  });
  afterEach(async () => {
    await context?.close();
  });

  it('runs the bundled Mandelbrot DAG in Web Workers and shows the graph, the task stream and 100% progress', async () => {
    const { page, errors } = await openPage(context);
    const dashboard = new DashboardPage(page, server.url);
    await dashboard.open('?workers=2');
    await dashboard.chooseDag('mandelbrot');
    await dashboard.run();

    expect(await dashboard.waitForRunEnd()).toBe('succeeded');
    await page.waitForTimeout(300); // let the last animation frame land before reading the DOM
    await page.screenshot({ path: `${artifactsDir}/dashboard-mandelbrot.png`, fullPage: true });

    // The graph: one node per function (64 tiles, 8 rows, 1 image), all succeeded.
    const statuses = await dashboard.nodeStatuses();
    expect(Object.keys(statuses)).toHaveLength(73);
    expect(new Set(Object.values(statuses))).toEqual(new Set(['succeeded']));

    // The task stream: a bar per function, in lanes named after the two workers, every bar visible.
    const bars = await dashboard.bars();
    expect(new Set(bars.map((b) => b.id)).size).toBe(73);
    expect(new Set(bars.map((b) => b.lane))).toEqual(new Set(['local:0', 'local:1']));
    expect(bars.every((b) => b.outcome === 'succeeded' && b.width >= 1)).toBe(true);
    expect(await dashboard.streamLanes.count()).toBe(2);

    expect(await dashboard.percent.textContent()).toBe('100%');
    expect(await dashboard.peerRows.count()).toBe(1);
    expect(await dashboard.showcaseImage.getAttribute('data-tiles-drawn')).toBe('64');
    expect(errors).toEqual([]);
  });

  it('reports an invalid uploaded DAG with the function at fault and runs nothing', async () => {
    const { page } = await openPage(context);
    const dashboard = new DashboardPage(page, server.url);
    await dashboard.open();
    const bad = {
      format: 'handout-dag',
      version: 1,
      functions: [{ id: 'a', args: ['missing'], code: { kind: 'source', source: '(x) => x' } }],
    };
    await dashboard.upload('bad.json', JSON.stringify(bad));
    await dashboard.run();
    await page.waitForFunction(
      () => document.querySelector('#submit-message')?.getAttribute('data-kind') === 'error',
    );
    const message = await dashboard.message();
    expect(message).toContain("'a'");
    expect(message).toContain('missing');
    expect(await dashboard.graphNodes.count()).toBe(0);
  });
});
