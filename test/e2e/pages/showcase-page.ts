/** Page object for demo/showcase.html. */
import type { Locator, Page } from 'playwright-core';

export interface TileMark {
  readonly tx: number;
  readonly ty: number;
  /** Fraction of the tile's pixels that are not the empty background. */
  readonly filled: number;
  /** The overlay's outline colour at the tile's edge, as `r,g,b`, or '' when the tile has no outline. */
  readonly outline: string;
}

export class ShowcasePage {
  readonly canvas: Locator;
  readonly owners: Locator;

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    this.canvas = page.locator('.tile-canvas');
    this.owners = page.locator('#owners li');
  }

  async open(query = ''): Promise<void> {
    await this.page.goto(`${this.baseUrl}/showcase.html${query}`);
    await this.page.waitForSelector('body[data-ready="true"]');
  }

  async waitForDone(timeoutMs = 45_000): Promise<string> {
    await this.page.waitForSelector('.tile-canvas[data-done="true"]', { timeout: timeoutMs });
    return (await this.page.getAttribute('body', 'data-run-status')) ?? '';
  }

  async tilesDrawn(): Promise<{ drawn: number; total: number }> {
    const drawn = Number(await this.canvas.getAttribute('data-tiles-drawn'));
    const total = Number(await this.canvas.getAttribute('data-tiles-total'));
    return { drawn, total };
  }

  /** Reads both canvases' pixels and describes every tile: how much of it is drawn and its outline colour. */
  tileMarks(tiles: number): Promise<TileMark[]> {
    return this.page.evaluate((n) => {
      const image = document.querySelector<HTMLCanvasElement>('canvas.tile-image')!;
      const overlay = document.querySelector<HTMLCanvasElement>('canvas.tile-overlay')!;
      const size = image.width / n;
      const img = image.getContext('2d')!.getImageData(0, 0, image.width, image.height).data;
      const ov = overlay.getContext('2d')!.getImageData(0, 0, overlay.width, overlay.height).data;
      const marks = [];
      for (let ty = 0; ty < n; ty++) {
        for (let tx = 0; tx < n; tx++) {
          let filled = 0;
          let count = 0;
          for (let y = ty * size + 4; y < (ty + 1) * size - 4; y += 3) {
            for (let x = tx * size + 4; x < (tx + 1) * size - 4; x += 3) {
              const o = (y * image.width + x) * 4;
              // The empty canvas is #0b0e16; anything else was painted by a tile.
              if (img[o] !== 11 || img[o + 1] !== 14 || img[o + 2] !== 22) filled++;
              count++;
            }
          }
          // The outline runs 1–2 px inside the tile edge; sample the middle of its bottom edge.
          const ox = Math.floor(tx * size + size / 2);
          const oy = Math.floor((ty + 1) * size - 2);
          const p = (oy * overlay.width + ox) * 4;
          const outline = ov[p + 3]! > 200 ? `${ov[p]},${ov[p + 1]},${ov[p + 2]}` : '';
          marks.push({ tx, ty, filled: filled / count, outline });
        }
      }
      return marks;
    }, tiles);
  }
}
