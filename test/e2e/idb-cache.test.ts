import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContributePage } from './pages/contribute-page.js';
import { openPage } from './support/browser.js';
import { artifactsDir } from './support/paths.js';
import { staticDemoSuite } from './support/static-suite.js';

interface StoreHandle {
  put(hash: string, bytes: Uint8Array): Promise<void>;
  get(hash: string): Promise<Uint8Array | undefined>;
}
declare global {
  // The contribute page's debug handle (demo/src/contribute/main.ts).
  var handout: { store: StoreHandle } | undefined;
}

describe('IndexedDB result cache in Chromium', () => {
  const suite = staticDemoSuite({ width: 1280, height: 900 });

  it('keeps a stored result across a page reload, byte for byte', async () => {
    const { page, errors } = await openPage(suite.context);
    const contribute = new ContributePage(page, suite.server.url);
    await contribute.open();
    const bytes = randomBytes(300_000);
    const hash = createHash('sha256').update(bytes).digest('hex');
    // Bytes cross into the page as base64 (a JS array of 300k numbers would be slow to serialise).
    await page.evaluate(
      async ([h, b64]) => {
        const bin = atob(b64);
        const data = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
        await globalThis.handout!.store.put(h, data);
      },
      [hash, bytes.toString('base64')] as const,
    );
    await contribute.reload();
    const back = await page.evaluate(async (h) => {
      const got = await globalThis.handout!.store.get(h);
      if (!got) return null;
      let bin = '';
      for (let i = 0; i < got.length; i += 0x8000) bin += String.fromCharCode(...got.subarray(i, i + 0x8000));
      return btoa(bin);
    }, hash);
    expect(back).not.toBeNull();
    expect(Buffer.from(back!, 'base64').equals(bytes)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('serves a rerun of the sample DAG from the cache after a reload', async () => {
    const { page, errors } = await openPage(suite.context);
    const contribute = new ContributePage(page, suite.server.url);
    await contribute.open();
    const first = await contribute.runSample();
    expect(first).toEqual({ status: 'succeeded', cached: 0 });
    const stored = await contribute.cacheEntries();
    expect(stored).toBeGreaterThanOrEqual(21); // 16 tiles + 4 rows + the image

    await contribute.reload();
    expect(await contribute.cacheEntries()).toBe(stored);
    await contribute.waitForCalibration();
    const second = await contribute.runSample();
    expect(second).toEqual({ status: 'succeeded', cached: 21 });
    await page.screenshot({ path: `${artifactsDir}/contribute.png`, fullPage: true });
    const caps = await contribute.capabilities();
    expect(Number(caps.cores)).toBeGreaterThanOrEqual(1);
    expect(caps.speed).toMatch(/× reference/);
    expect(errors).toEqual([]);
  });

  it('gives a second contributing tab of the same browser its own cache, and a reloaded tab its old one', async () => {
    const first = await openPage(suite.context);
    const second = await openPage(suite.context);
    const a = new ContributePage(first.page, suite.server.url);
    const b = new ContributePage(second.page, suite.server.url);
    await a.open();
    await b.open();
    const cacheOf = async (page: typeof first.page) => (await page.locator('#cap-cache').textContent()) ?? '';
    expect(await cacheOf(first.page)).toMatch(/“handout-results”/);
    expect(await cacheOf(second.page)).toMatch(/“handout-results-2”/);
    await a.reload();
    expect(await cacheOf(first.page)).toMatch(/“handout-results”/);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });
});
