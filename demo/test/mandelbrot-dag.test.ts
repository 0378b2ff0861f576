import { describe, expect, it } from 'vitest';
import {
  IMAGE_ID,
  type MandelbrotImage,
  mandelbrotDag,
  mandelbrotLayoutOf,
  parseTileId,
  rowId,
  tileId,
} from '../src/mandelbrot/mandelbrot-dag.js';

/** Runs the DAG's functions in order in this process, the way a worker would call them. */
function evaluate(dag: ReturnType<typeof mandelbrotDag>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const f of dag.functions) {
    if (f.code.kind !== 'source') throw new Error('expected source code');
    const fn = new Function(`return (${f.code.source})`)() as (...args: unknown[]) => unknown;
    values.set(f.id, fn(...f.args.map((a) => values.get(a as string)), ...(f.extraArgs ?? [])));
  }
  return values;
}

describe('the Mandelbrot showcase DAG', () => {
  it('has one function per tile, one per row of tiles and one image, each row fed by its tiles in order', () => {
    const dag = mandelbrotDag({ size: 64, tiles: 4, maxIter: 50 });
    expect(dag.functions).toHaveLength(16 + 4 + 1);
    expect(dag.functions.find((f) => f.id === rowId(2))?.args).toEqual([
      tileId(0, 2),
      tileId(1, 2),
      tileId(2, 2),
      tileId(3, 2),
    ]);
    expect(dag.functions.find((f) => f.id === IMAGE_ID)?.args).toEqual([0, 1, 2, 3].map(rowId));
    expect(mandelbrotLayoutOf(JSON.parse(JSON.stringify(dag)))).toEqual({ size: 64, tiles: 4 });
  });

  it('assembles the image byte for byte from the tiles it was given', () => {
    const dag = mandelbrotDag({ size: 48, tiles: 3, maxIter: 80 });
    const values = evaluate(dag);
    const image = values.get(IMAGE_ID) as MandelbrotImage;
    expect(image.width).toBe(48);
    expect(image.pixels).toHaveLength(48 * 48 * 4);
    for (let ty = 0; ty < 3; ty++) {
      for (let tx = 0; tx < 3; tx++) {
        const tile = values.get(tileId(tx, ty)) as Uint8Array;
        expect(tile).toHaveLength(16 * 16 * 4);
        for (let y = 0; y < 16; y++) {
          const start = ((ty * 16 + y) * 48 + tx * 16) * 4;
          expect(image.pixels.subarray(start, start + 64)).toEqual(tile.subarray(y * 64, y * 64 + 64));
        }
      }
    }
    // Opaque everywhere, and not one flat colour: the fractal is really there.
    const alpha = new Set<number>();
    const reds = new Set<number>();
    for (let i = 0; i < image.pixels.length; i += 4) {
      alpha.add(image.pixels[i + 3]!);
      reds.add(image.pixels[i]!);
    }
    expect([...alpha]).toEqual([255]);
    expect(reds.size).toBeGreaterThan(20);
  });

  it('is the same JSON every time it is built, so its content hashes match across Node and browsers', () => {
    expect(JSON.stringify(mandelbrotDag())).toBe(JSON.stringify(mandelbrotDag()));
  });

  it('rejects a tile count that does not divide the image size, naming the option', () => {
    expect(() => mandelbrotDag({ size: 100, tiles: 3 })).toThrow(
      /tiles must be a positive integer dividing size 100/,
    );
    expect(() => mandelbrotDag({ maxIter: 0 })).toThrow(/maxIter/);
  });

  it('parses tile ids and nothing else', () => {
    expect(parseTileId('tile-3-7')).toEqual({ tx: 3, ty: 7 });
    expect(parseTileId('row-3')).toBeUndefined();
    expect(parseTileId(IMAGE_ID)).toBeUndefined();
  });
});
