/**
 * Draws a Mandelbrot run on a tile canvas as it goes: each time a tile function succeeds, its bytes are fetched
 * from the run (`run.result(id)`) and painted, marked with the worker or peer that computed it.
 * Works for any `Run` — local or mesh — because it only uses the run's events and results.
 */
import type { Run } from '@handout/peer-runtime';
import { parseTileId } from './mandelbrot-dag.js';
import type { TileCanvas } from './tile-canvas.js';

export interface FollowTilesHandle {
  /** Resolves when every tile that succeeded has been drawn (after the run is done). */
  readonly drawn: Promise<number>;
  stop(): void;
}

export function followTiles(run: Run, canvas: TileCanvas, onTile?: () => void): FollowTilesHandle {
  const pending: Array<Promise<void>> = [];
  let count = 0;
  const off = run.on('task:succeeded', ({ id, peer }) => {
    const tile = parseTileId(id);
    if (!tile) return;
    pending.push(
      run.result(id).then((value) => {
        if (!(value instanceof Uint8Array)) {
          throw new TypeError(
            `function '${id}' returned ${Object.prototype.toString.call(value)}, not tile bytes`,
          );
        }
        canvas.drawTile(tile.tx, tile.ty, value, peer);
        count++;
        onTile?.();
      }),
    );
  });
  const drawn = run.done.then(async () => {
    off();
    await Promise.all(pending);
    return count;
  });
  return { drawn, stop: off };
}
