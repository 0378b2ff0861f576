/**
 * The set-up the page tests against the static demo build share: one static server and one Chromium per file,
 * a fresh browser context (fresh storage, given viewport) per test. Call it inside `describe`; read `server`
 * and `context` inside tests (they are set by the hooks).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { launchChromium } from './browser.js';
import { type StaticServer, serveStatic } from './static-server.js';

export interface StaticSuite {
  readonly server: StaticServer;
  readonly context: BrowserContext;
}

export function staticDemoSuite(viewport: { width: number; height: number }): StaticSuite {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  beforeAll(async () => {
    server = await serveStatic(inject('demoDist'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser!.newContext({ viewport, deviceScaleFactor: 1 });
  });
  afterEach(async () => {
    await context?.close();
  });
  return {
    get server() {
      return server!;
    },
    get context() {
      return context!;
    },
  };
}
