/**
 * The showcase DAG: a Mandelbrot image rendered in tiles, one function per tile, then one function per row of
 * tiles and one for the whole image, so the graph has three layers and the image is assembled inside the DAG.
 *
 * No DOM and no Node APIs here: the dashboard, the showcase page, Node peers and `pnpm start` all import it.
 *
 * The function code is kept as source text rather than captured from live functions with `toString()`: a
 * bundler rewrites live functions (minified names, injected helpers), which would give the same DAG a different
 * content hash in the browser than in Node — and then caches would never be shared between them.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';

/** Which part of the plane to draw and how finely. */
export interface MandelbrotOptions {
  /** Width and height of the image in pixels. Default 768. */
  readonly size?: number;
  /** Tiles per side (the DAG has tiles² tile functions). Must divide `size`. Default 8. */
  readonly tiles?: number;
  /** Centre of the view on the complex plane. Default a double spiral in the Seahorse valley. */
  readonly centerRe?: number;
  readonly centerIm?: number;
  /** Width of the view on the complex plane. Default 0.012. */
  readonly span?: number;
  /** Iteration limit; higher shows finer detail and costs more. Default 1500. */
  readonly maxIter?: number;
}

/** The parameters one tile function receives as its extra argument (JSON data, so it is part of the hash). */
export interface TileView {
  readonly tx: number;
  readonly ty: number;
  readonly tileSize: number;
  /** Complex coordinate of the image's top-left pixel and the size of one pixel. */
  readonly re0: number;
  readonly im0: number;
  readonly step: number;
  readonly maxIter: number;
}

/** The value of the `image` function. */
export interface MandelbrotImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major. */
  readonly pixels: Uint8Array;
}

export const MANDELBROT_DEFAULTS: Required<MandelbrotOptions> = {
  size: 768,
  tiles: 8,
  centerRe: -0.74364,
  centerIm: 0.13183,
  span: 0.012,
  maxIter: 1500,
};

/**
 * One tile: escape-time iteration with smooth colouring, returned as RGBA bytes (tileSize² × 4).
 * The palette is a cosine gradient; points inside the set are a deep navy.
 */
export const TILE_SOURCE = `function mandelbrotTile(view) {
  const n = view.tileSize;
  const out = new Uint8Array(n * n * 4);
  const maxIter = view.maxIter;
  const reStart = view.re0 + view.tx * n * view.step;
  const imStart = view.im0 + view.ty * n * view.step;
  for (let py = 0; py < n; py++) {
    const ci = imStart + py * view.step;
    for (let px = 0; px < n; px++) {
      const cr = reStart + px * view.step;
      let zr = 0, zi = 0, zr2 = 0, zi2 = 0, i = 0;
      while (i < maxIter && zr2 + zi2 <= 256) {
        zi = 2 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        i++;
      }
      const o = (py * n + px) * 4;
      if (i >= maxIter) {
        out[o] = 8; out[o + 1] = 10; out[o + 2] = 32;
      } else {
        const nu = i + 1 - Math.log2(Math.log2(zr2 + zi2) / 2);
        const t = Math.sqrt(nu / 64);
        out[o] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.00)));
        out[o + 1] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.10)));
        out[o + 2] = 255 * (0.5 + 0.5 * Math.cos(6.2832 * (t + 0.20)));
      }
      out[o + 3] = 255;
    }
  }
  return out;
}`;

/** A row of tiles: the tile values (left to right) followed by the layout, stitched into one strip. */
export const ROW_SOURCE = `function assembleRow(...parts) {
  const layout = parts.pop();
  const n = layout.tileSize;
  const width = n * parts.length;
  const out = new Uint8Array(width * n * 4);
  for (let t = 0; t < parts.length; t++) {
    const tile = parts[t];
    for (let y = 0; y < n; y++) {
      out.set(tile.subarray(y * n * 4, (y + 1) * n * 4), (y * width + t * n) * 4);
    }
  }
  return out;
}`;

/** The image: the row strips (top to bottom) followed by the layout, stacked. */
export const IMAGE_SOURCE = `function assembleImage(...parts) {
  const layout = parts.pop();
  const pixels = new Uint8Array(layout.size * layout.size * 4);
  let offset = 0;
  for (const strip of parts) {
    pixels.set(strip, offset);
    offset += strip.length;
  }
  return { width: layout.size, height: layout.size, pixels };
}`;

export const tileId = (tx: number, ty: number): string => `tile-${tx}-${ty}`;
export const rowId = (ty: number): string => `row-${ty}`;
export const IMAGE_ID = 'image';

/** The tile coordinates named by a tile id, or undefined for any other id. */
export function parseTileId(id: string): { tx: number; ty: number } | undefined {
  const m = /^tile-(\d+)-(\d+)$/.exec(id);
  return m ? { tx: Number(m[1]), ty: Number(m[2]) } : undefined;
}

/** Fill in defaults and check the geometry; throws a RangeError naming the bad option. */
export function resolveMandelbrotOptions(options: MandelbrotOptions = {}): Required<MandelbrotOptions> {
  const o = { ...MANDELBROT_DEFAULTS, ...options };
  if (!Number.isInteger(o.size) || o.size < 1)
    throw new RangeError(`mandelbrot: size must be a positive integer, got ${o.size}`);
  if (!Number.isInteger(o.tiles) || o.tiles < 1 || o.size % o.tiles !== 0) {
    throw new RangeError(
      `mandelbrot: tiles must be a positive integer dividing size ${o.size}, got ${o.tiles}`,
    );
  }
  if (!Number.isInteger(o.maxIter) || o.maxIter < 1) {
    throw new RangeError(`mandelbrot: maxIter must be a positive integer, got ${o.maxIter}`);
  }
  if (!(o.span > 0)) throw new RangeError(`mandelbrot: span must be positive, got ${o.span}`);
  return o;
}

/** Build the showcase DAG: tiles² tile functions → one row function per tile row → `image`. */
export function mandelbrotDag(options: MandelbrotOptions = {}): DagJSON {
  const o = resolveMandelbrotOptions(options);
  const tileSize = o.size / o.tiles;
  const step = o.span / o.size;
  const re0 = o.centerRe - o.span / 2;
  const im0 = o.centerIm - o.span / 2;
  const functions: FunctionSpec[] = [];
  for (let ty = 0; ty < o.tiles; ty++) {
    for (let tx = 0; tx < o.tiles; tx++) {
      const view: TileView = { tx, ty, tileSize, re0, im0, step, maxIter: o.maxIter };
      functions.push({
        id: tileId(tx, ty),
        args: [],
        code: { kind: 'source', source: TILE_SOURCE },
        extraArgs: [view],
        // Cost grows with pixels × iterations; schedulers use it to order work (1 ms per ~40k iterations).
        cost: { cpu: 1, estimateMs: Math.max(1, Math.round((tileSize * tileSize * o.maxIter) / 40_000 / 8)) },
      });
    }
  }
  for (let ty = 0; ty < o.tiles; ty++) {
    const args = Array.from({ length: o.tiles }, (_, tx) => tileId(tx, ty));
    functions.push({
      id: rowId(ty),
      args,
      code: { kind: 'source', source: ROW_SOURCE },
      extraArgs: [{ tileSize }],
      cost: { cpu: 1, estimateMs: 1 },
    });
  }
  functions.push({
    id: IMAGE_ID,
    args: Array.from({ length: o.tiles }, (_, ty) => rowId(ty)),
    code: { kind: 'source', source: IMAGE_SOURCE },
    extraArgs: [{ size: o.size }],
    cost: { cpu: 1, estimateMs: 2 },
  });
  return { format: 'handout-dag', version: 1, functions };
}

/**
 * The image geometry of a DAG made by `mandelbrotDag` (also after a JSON round trip), or undefined for any other
 * DAG: the dashboard uses it to decide whether to show the picture.
 */
export function mandelbrotLayoutOf(dag: DagJSON): { size: number; tiles: number } | undefined {
  const image = dag.functions.find((f) => f.id === IMAGE_ID);
  if (image?.code.kind !== 'source' || image.code.source !== IMAGE_SOURCE) return undefined;
  const layout = image.extraArgs?.[0] as { size?: unknown } | undefined;
  const tiles = image.args.length;
  if (typeof layout?.size !== 'number' || tiles < 1) return undefined;
  return { size: layout.size, tiles };
}
