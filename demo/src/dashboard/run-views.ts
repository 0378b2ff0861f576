/**
 * The views bound to one run: task stream, progress, running chart, and the Mandelbrot tiles when the DAG is
 * the showcase's. Built when a run starts or is reopened from the runs list, from its model alone, so a
 * reopened run looks as it did. The tile canvas is kept per run (its pixels come from the run's results).
 */
import { byId } from '../common/dom.js';
import { followTiles } from '../mandelbrot/follow-tiles.js';
import { mandelbrotLayoutOf } from '../mandelbrot/mandelbrot-dag.js';
import { createTileCanvas, type TileCanvas } from '../mandelbrot/tile-canvas.js';
import type { RunModel } from '../run-model/run-model.js';
import type { RunSource } from '../run-source/types.js';
import { createProgressView, type ProgressView } from '../views/progress.js';
import { createTaskStream, type TaskStream } from '../views/task-stream.js';
import { createResourceChart, type ResourceChart } from './resource-chart.js';

export interface RunViews {
  readonly stream: TaskStream;
  update(): void;
  dispose(): void;
}

const tileCanvases = new WeakMap<RunModel, TileCanvas>();

export function createRunViews(model: RunModel, source: RunSource, onSelect: (id: string) => void): RunViews {
  const stream: TaskStream = createTaskStream(byId('task-stream', HTMLDivElement), model, {
    laneName: (lane) => source.laneName(lane),
    leadIn: (lane) => source.leadIn(lane),
    onSelect,
  });
  const resources: ResourceChart = createResourceChart(byId('resources', HTMLDivElement), model, (lane) =>
    source.laneName(lane),
  );
  const progress: ProgressView = createProgressView(byId('progress', HTMLElement), model);

  const showcaseCard = byId('showcase-card', HTMLElement);
  const showOwners = byId('show-owners', HTMLInputElement);
  const layout = mandelbrotLayoutOf({ format: 'handout-dag', version: 1, functions: model.functions });
  showcaseCard.hidden = !layout;
  let stopTiles = (): void => {};
  if (layout) {
    let canvas = tileCanvases.get(model);
    if (!canvas) {
      canvas = createTileCanvas(layout);
      tileCanvases.set(model, canvas);
      stopTiles = followTiles(model.run, canvas).stop;
    }
    const shown = canvas;
    shown.showOwners(showOwners.checked);
    showOwners.onchange = () => shown.showOwners(showOwners.checked);
    byId('showcase', HTMLDivElement).replaceChildren(shown.element);
  }

  return {
    stream,
    update() {
      stream.update();
      resources.update(source.capacity());
      progress.update();
    },
    dispose() {
      // The tile follower stops only when its run ends (it draws every tile of it, shown or not).
      void model.run.done.then(() => stopTiles());
      resources.destroy();
    },
  };
}
