/**
 * The dashboard on a mesh of two Node peers (real `handout peer` processes over WebRTC, one also coordinating),
 * opened as a submit-only tab: the peers-over-time chart has a series per peer, each peer runs at most its one
 * slot at a time, peers are named by their ids (token subjects), and the blank lead-in of each lane is
 * explained. Run inside test/netns/run.sh.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';
import { type PeerProcess, spawnCli } from '../harness/mesh-harness.js';
import { launchChromium } from './support/browser.js';
import { closeMesh, openMeshDashboard, waitForMembers } from './support/mesh-dashboard.js';
import { artifactsDir } from './support/paths.js';

const MESH = 'dash-mesh';
const PEERS = ['node-a', 'node-b'] as const;

describe('the dashboard on a mesh of two Node peers', () => {
  let server: SignalingServer;
  let browser: Browser;
  const peers: PeerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await createSignalingServer({ port: 0, host: '127.0.0.1', staticDir: inject('demoDist') });
    for (const id of PEERS) {
      const dir = mkdtempSync(join(tmpdir(), `handout-${id}-`));
      dirs.push(dir);
      const coordinator = id === 'node-a';
      const roles = coordinator ? ['contribute', 'coordinate'] : ['contribute'];
      const token = server.issueToken({ mesh: MESH, roles: roles as never, ttlSeconds: 600, sub: id });
      peers.push(
        spawnCli(id, [
          'peer',
          '--signal',
          server.url,
          '--token',
          token,
          ...(coordinator ? ['--coordinator'] : []),
          '--concurrency',
          '1',
          '--cache-dir',
          dir,
          '--json',
        ]),
      );
    }
    browser = await launchChromium();
    await waitForMembers(server, MESH, PEERS, () => peers.map((p) => p.stderr.join('')).join('\n'));
  });
  afterAll(() => closeMesh({ peers, browser, server, dirs }));

  it('charts each peer over time, never more running on a peer than its slot, and names the peers', async () => {
    const { context, page, errors, warnings, dashboard } = await openMeshDashboard(
      browser,
      server,
      MESH,
      PEERS,
      '&dag=slow',
    );
    await dashboard.run();
    expect(await dashboard.waitForRunEnd(60_000)).toBe('succeeded');
    await page.waitForTimeout(700); // the charts' last refresh
    await page.screenshot({ path: `${artifactsDir}/dashboard-mesh-peers.png`, fullPage: true });

    const running = page.locator('#peers-chart [data-chart="running"]');
    const series = ((await running.getAttribute('data-series')) ?? '').split('\n');
    expect([...series].sort()).toEqual([...PEERS]);
    const peaks = ((await running.getAttribute('data-peaks')) ?? '').split(',').map(Number);
    // Both peers ran functions, one at a time each (one slot), although the coordinator dispatches ahead.
    expect(peaks).toEqual([1, 1]);
    // ...and nothing is left counted as running once the run is done.
    const after = await page.evaluate(() => {
      type Handle = { current(): { model: { totalSteps(): Array<{ running: number }> } } };
      const steps = (globalThis as unknown as { handout: Handle }).handout.current().model.totalSteps();
      return steps[steps.length - 1]?.running;
    });
    expect(after).toBe(0);
    // Stacked over both peers, the running chart stays within the mesh's two slots.
    expect(Number(await dashboard.resources.getAttribute('data-peak'))).toBeLessThanOrEqual(2);
    expect(await dashboard.resources.getAttribute('data-limit')).toBe('2');
    // Node peers report their process's CPU and memory (peer/load.ts): once they arrive, the chart has readings
    // and no longer says they are missing.
    await expect
      .poll(async () => (await page.getByTestId('peers-readings-note').textContent()) ?? '', {
        timeout: 15_000,
      })
      .not.toMatch(/not reported/);
    // The sum ran on one peer and took the other's steps: that link carried about half the inputs.
    const links = await page
      .locator('#links tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [
          r.getAttribute('data-from'),
          r.getAttribute('data-to'),
          Number(r.children[2]?.textContent),
        ]),
      );
    expect(links).toHaveLength(1);
    const [from, to, inputs] = links[0]!;
    expect([from, to].sort()).toEqual([...PEERS]);
    expect(inputs).toBeGreaterThanOrEqual(1);
    expect(inputs).toBeLessThanOrEqual(39);
    // Lanes named by the peers' ids (their tokens' subjects), each lead-in measured.
    const stream = await dashboard.stream();
    expect([...stream.lanes].sort()).toEqual([...PEERS]);
    expect(stream.leadIns.every((l) => l.ms >= 0)).toBe(true);
    expect(await page.locator('#peers tr[data-peer="node-a"] .peer-name .label').textContent()).toBe(
      'node-a',
    );
    expect(errors).toEqual([]);
    // The one warning on a mesh page is not the dashboard's: joining a mesh (the SDK's connect → createMeshPeer)
    // asks for a WebGPU adapter in peer-runtime/src/platform/capabilities.browser.ts, even for a submit-only peer,
    // and Chromium without a GPU warns. The local dashboard asks for none (dashboard-views.test.ts checks that).
    expect(warnings.filter((w) => w !== 'console: No available adapters.')).toEqual([]);
    await context.close();
  });
});
