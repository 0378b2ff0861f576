import { describe, expect, it } from 'vitest';
import { ShowcasePage } from './pages/showcase-page.js';
import { openPage } from './support/browser.js';
import { artifactsDir } from './support/paths.js';
import { staticDemoSuite } from './support/static-suite.js';

/** The lane colours the page uses for workers 0 and 1 (demo/src/common/colors.ts), as r,g,b. */
const WORKER_COLOURS = new Set(['86,180,233', '230,159,0']);

describe('showcase (Mandelbrot tiles in Chromium)', () => {
  const suite = staticDemoSuite({ width: 1440, height: 1100 });

  it('renders every tile of the fractal, each painted and outlined in the colour of the worker that computed it', async () => {
    const { page, errors } = await openPage(suite.context);
    const showcase = new ShowcasePage(page, suite.server.url);
    await showcase.open('?tiles=8&workers=2');
    expect(await showcase.waitForDone()).toBe('succeeded');
    await page.screenshot({ path: `${artifactsDir}/showcase.png`, fullPage: true });

    expect(await showcase.tilesDrawn()).toEqual({ drawn: 64, total: 64 });
    const marks = await showcase.tileMarks(8);
    expect(marks).toHaveLength(64);
    for (const mark of marks) {
      expect(mark.filled, `tile ${mark.tx},${mark.ty} is blank`).toBeGreaterThan(0.95);
      expect(WORKER_COLOURS.has(mark.outline), `tile ${mark.tx},${mark.ty} outline '${mark.outline}'`).toBe(
        true,
      );
    }
    // Both workers computed tiles, and the legend accounts for all 64.
    expect(new Set(marks.map((m) => m.outline)).size).toBe(2);
    const legend = await showcase.owners.allInnerTexts();
    const total = legend.reduce((sum, line) => sum + Number(/(\d+) tiles?/.exec(line)?.[1] ?? 0), 0);
    expect(total).toBe(64);
    expect(errors).toEqual([]);
  });
});
