import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DashboardPage } from './pages/dashboard-page.js';
import { openPage } from './support/browser.js';
import { artifactsDir, demoDir, repoRoot } from './support/paths.js';
import { staticDemoSuite } from './support/static-suite.js';

/** A real WfCommons instance, vendored in the repository so the upload test runs on every clone (see its README). */
const WF_INSTANCE = `${repoRoot}test/fixtures/wfcommons/helloworld-forkjoin-10-chameleon.json`;

describe('dashboard (local run in Chromium)', () => {
  const suite = staticDemoSuite({ width: 1440, height: 1000 });

  it('runs the bundled Mandelbrot DAG in Web Workers and shows the graph, the task stream and 100% progress', async () => {
    const { page, errors } = await openPage(suite.context);
    const dashboard = new DashboardPage(page, suite.server.url);
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
    expect(await dashboard.streamLaneCount()).toBe(2);

    expect(await dashboard.percent.textContent()).toBe('100%');
    expect(await dashboard.peerRows.count()).toBe(1);
    expect(await dashboard.showcaseImage.getAttribute('data-tiles-drawn')).toBe('64');
    expect(errors).toEqual([]);
  });

  it('refuses an invalid uploaded DAG, naming the function at fault, and offers nothing to run', async () => {
    const { page } = await openPage(suite.context);
    const dashboard = new DashboardPage(page, suite.server.url);
    await dashboard.open();
    const bad = {
      format: 'handout-dag',
      version: 1,
      functions: [{ id: 'a', args: ['missing'], code: { kind: 'source', source: '(x) => x' } }],
    };
    await dashboard.upload('bad.json', JSON.stringify(bad));
    await page.waitForFunction(
      () => document.querySelector('#submit-message')?.getAttribute('data-kind') === 'error',
    );
    const message = await dashboard.message();
    expect(message).toContain('bad.json');
    expect(message).toContain("'a'");
    expect(message).toContain('missing');
    expect(await page.locator('#dag-select option[value="uploaded"]').count()).toBe(0);
    // The graph still shows the DAG chosen before (the bundled Mandelbrot's 73 functions), not the bad one.
    expect((await dashboard.graphScene()).some((n) => n.id === 'a')).toBe(false);
    expect(await dashboard.graph.getAttribute('data-functions')).toBe('73');
  });

  it('runs an uploaded STG task graph to completion, one graph node and one bar per task', async () => {
    const { page, errors } = await openPage(suite.context);
    const dashboard = new DashboardPage(page, suite.server.url);
    await dashboard.open('?workers=2');
    await dashboard.upload('rand0000.stg', readFileSync(`${demoDir}/src/samples/rand0000.stg`, 'utf8'));
    // The file is read asynchronously: wait for the page to say it is ready.
    await page.waitForFunction(() =>
      document.querySelector('#submit-message')?.textContent?.includes('ready to run'),
    );
    expect(await dashboard.message()).toMatch(/rand0000\.stg: \d+ functions ready to run/);
    await dashboard.run();
    expect(await dashboard.waitForRunEnd()).toBe('succeeded');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${artifactsDir}/dashboard-stg.png`, fullPage: true });
    const ids = Object.keys(await dashboard.nodeStatuses());
    expect(ids.length).toBeGreaterThanOrEqual(50);
    expect(new Set((await dashboard.bars()).map((b) => b.id))).toEqual(new Set(ids));
    expect(await dashboard.percent.textContent()).toBe('100%');
    expect(errors).toEqual([]);
  });

  it('runs an uploaded WfFormat workflow to completion', async () => {
    const { page, errors } = await openPage(suite.context);
    const dashboard = new DashboardPage(page, suite.server.url);
    await dashboard.open('?workers=2');
    await dashboard.upload('forkjoin.json', readFileSync(WF_INSTANCE, 'utf8'));
    await page.waitForFunction(() =>
      document.querySelector('#submit-message')?.textContent?.includes('ready to run'),
    );
    await dashboard.run();
    expect(await dashboard.waitForRunEnd()).toBe('succeeded');
    expect(await dashboard.percent.textContent()).toBe('100%');
    expect((await dashboard.graphScene()).length).toBeGreaterThan(5);
    expect(errors).toEqual([]);
  });
});
