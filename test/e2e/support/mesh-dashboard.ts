/**
 * What the e2e files with the dashboard on a mesh of Node peer processes share: waiting until the peers joined,
 * opening a submit-only dashboard tab that lists them, and tearing the mesh down (the peers are the node
 * processes themselves, spawnCli/wrapProcess run node, not pnpm, so SIGKILL kills each peer).
 */
import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SignalingServer } from '../../../signaling-server/src/index.js';
import type { PeerProcess } from '../../harness/mesh-harness.js';
import { DashboardPage } from '../pages/dashboard-page.js';
import { openPage } from './browser.js';

/** Resolves once every id in `ids` is a member of `mesh`; fails after `timeoutMs` with `why()` (peer logs). */
export async function waitForMembers(
  server: SignalingServer,
  mesh: string,
  ids: readonly string[],
  why: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = await server.peers(mesh);
    if (ids.every((id) => members.some((p) => p.peerId === id))) return;
    if (Date.now() > deadline) throw new Error(`peers did not join: ${why()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface MeshDashboardTab {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
  readonly warnings: string[];
  readonly dashboard: DashboardPage;
}

/** A new browser context on the dashboard with a submit token for `mesh`, once its peers table lists `rows`. */
export async function openMeshDashboard(
  browser: Browser,
  server: SignalingServer,
  mesh: string,
  rows: readonly string[],
  extraQuery = '',
): Promise<MeshDashboardTab> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  const { page, errors, warnings } = await openPage(context);
  const dashboard = new DashboardPage(page, server.url);
  const token = server.issueToken({ mesh, roles: ['submit'], ttlSeconds: 600 });
  await dashboard.open(
    `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token)}${extraQuery}`,
  );
  await page.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`#peers tr[data-peer="${id}"]`) !== null),
    [...rows],
    { timeout: 15_000 },
  );
  return { context, page, errors, warnings, dashboard };
}

/** Kills the peer processes and waits for them, then closes the browser and the server, then removes `dirs`. */
export async function closeMesh(parts: {
  readonly peers: readonly PeerProcess[];
  readonly browser?: Browser | undefined;
  readonly server?: SignalingServer | undefined;
  readonly dirs: readonly string[];
}): Promise<void> {
  for (const p of parts.peers) p.kill('SIGKILL');
  await Promise.all(parts.peers.map((p) => p.exited));
  await parts.browser?.close();
  await parts.server?.close();
  for (const dir of parts.dirs) rmSync(dir, { recursive: true, force: true });
}
