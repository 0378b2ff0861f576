/**
 * The showcase's picture: tiles drawn on a canvas as they arrive, and on a second canvas above it each tile
 * tinted and outlined in the colour of the worker or peer that computed it (the overlay can be hidden).
 */
import { laneColorOf, laneLabel } from '../common/colors.js';
import { h } from '../common/dom.js';

export interface TileCanvasLayout {
  /** Image width and height in pixels. */
  readonly size: number;
  /** Tiles per side. */
  readonly tiles: number;
}

export interface TileCanvas {
  readonly element: HTMLElement;
  /** Draw one tile's RGBA bytes and mark it with its lane's colour and name. */
  drawTile(tx: number, ty: number, pixels: Uint8Array, lane: string): void;
  /** Show or hide the per-worker tint and outlines. */
  showOwners(on: boolean): void;
  /** Tiles drawn per lane, for the legend. */
  owners(): ReadonlyMap<string, number>;
  reset(layout: TileCanvasLayout): void;
}

export function createTileCanvas(layout: TileCanvasLayout): TileCanvas {
  const image = h('canvas', { class: 'tile-image', 'data-testid': 'showcase-image' });
  const overlay = h('canvas', { class: 'tile-overlay', 'data-testid': 'showcase-overlay' });
  const element = h('div', { class: 'tile-canvas', 'data-tiles-drawn': 0 }, image, overlay);
  let current = layout;
  let drawn = 0;
  const perLane = new Map<string, number>();

  function reset(next: TileCanvasLayout): void {
    current = next;
    for (const c of [image, overlay]) {
      c.width = next.size;
      c.height = next.size;
    }
    const ctx = image.getContext('2d')!;
    ctx.fillStyle = '#0b0e16';
    ctx.fillRect(0, 0, next.size, next.size);
    // A faint grid shows the tiles still to come.
    ctx.strokeStyle = 'rgba(255,255,255,0.06)';
    const n = next.size / next.tiles;
    for (let i = 1; i < next.tiles; i++) {
      ctx.beginPath();
      ctx.moveTo(i * n + 0.5, 0);
      ctx.lineTo(i * n + 0.5, next.size);
      ctx.moveTo(0, i * n + 0.5);
      ctx.lineTo(next.size, i * n + 0.5);
      ctx.stroke();
    }
    overlay.getContext('2d')!.clearRect(0, 0, next.size, next.size);
    drawn = 0;
    perLane.clear();
    element.dataset.tilesDrawn = '0';
    element.dataset.tilesTotal = String(next.tiles * next.tiles);
  }

  function drawTile(tx: number, ty: number, pixels: Uint8Array, lane: string): void {
    const n = current.size / current.tiles;
    if (pixels.length !== n * n * 4) {
      throw new RangeError(`tile ${tx},${ty}: expected ${n * n * 4} bytes of RGBA, got ${pixels.length}`);
    }
    const data = new ImageData(new Uint8ClampedArray(pixels), n, n);
    image.getContext('2d')!.putImageData(data, tx * n, ty * n);

    const ctx = overlay.getContext('2d')!;
    const color = laneColorOf(lane);
    const x = tx * n;
    const y = ty * n;
    ctx.clearRect(x, y, n, n);
    ctx.globalAlpha = 0.14;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, n, n);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.strokeRect(x + 1, y + 1, n - 2, n - 2);
    // A small badge with the worker's number in the tile's corner.
    const badge = laneLabel(lane).replace(/^worker /, '');
    ctx.font = `600 ${Math.max(9, Math.round(n / 8))}px system-ui, sans-serif`;
    const w = ctx.measureText(badge).width + 8;
    const bh = Math.max(12, Math.round(n / 6));
    ctx.fillStyle = color;
    ctx.fillRect(x + 2, y + 2, w, bh);
    ctx.fillStyle = '#0b0e16';
    ctx.textBaseline = 'middle';
    ctx.fillText(badge, x + 6, y + 2 + bh / 2);

    drawn++;
    perLane.set(lane, (perLane.get(lane) ?? 0) + 1);
    element.dataset.tilesDrawn = String(drawn);
  }

  reset(layout);
  return {
    element,
    drawTile,
    showOwners: (on) => overlay.classList.toggle('hidden', !on),
    owners: () => perLane,
    reset,
  };
}
