/**
 * The showcase page: the Mandelbrot DAG rendered tile by tile on this tab's workers or on a mesh
 * (`?signal=&token=`), each tile marked by the worker or peer that computed it. `?tiles=N` sets the tiles per
 * side, `&autorun=0` waits for a click.
 */
import '../styles.css';
import { detectCapabilities } from '../common/capabilities.js';
import { laneColorOf, laneLabel } from '../common/colors.js';
import { byId, h, throttledFrame } from '../common/dom.js';
import { followTiles } from '../mandelbrot/follow-tiles.js';
import { MANDELBROT_DEFAULTS, mandelbrotDag } from '../mandelbrot/mandelbrot-dag.js';
import { createTileCanvas } from '../mandelbrot/tile-canvas.js';
import { RunModel } from '../run-model/run-model.js';
import { runSourceFromUrl } from '../run-source/from-url.js';
import type { RunSource } from '../run-source/types.js';
import { createProgressView } from '../views/progress.js';
import { createTaskStream } from '../views/task-stream.js';

const params = new URLSearchParams(location.search);
const tilesSelect = byId('tiles', HTMLSelectElement);
const renderButton = byId('render', HTMLButtonElement);
const showOwners = byId('show-owners', HTMLInputElement);
const owners = byId('owners', HTMLUListElement);
const size = MANDELBROT_DEFAULTS.size;
const canvas = createTileCanvas({ size, tiles: Number(tilesSelect.value) });
byId('canvas-host', HTMLDivElement).replaceChildren(canvas.element);
showOwners.onchange = () => canvas.showOwners(showOwners.checked);

function drawOwners(): void {
  const entries = [...canvas.owners()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  owners.replaceChildren(
    ...entries.map(([lane, count]) =>
      h(
        'li',
        { 'data-lane': lane },
        h('span', { class: 'swatch', style: `background:${laneColorOf(lane)}` }),
        laneLabel(lane),
        h('span', { class: 'count' }, `${count} tile${count === 1 ? '' : 's'}`),
      ),
    ),
  );
}

function render(source: RunSource): void {
  const tiles = Number(tilesSelect.value);
  const dag = mandelbrotDag({ size, tiles });
  canvas.reset({ size, tiles });
  drawOwners();
  renderButton.disabled = true;
  document.body.dataset.runStatus = 'running';
  const run = source.submit(dag);
  const model = new RunModel(dag.functions, run, Date.now, { slotsOf: (lane) => source.slotsOf(lane) });
  const stream = createTaskStream(byId('task-stream', HTMLDivElement), model, {
    laneName: (lane) => source.laneName(lane),
    leadIn: (lane) => source.leadIn(lane),
  });
  const progress = createProgressView(byId('progress', HTMLElement), model);
  const draw = (): void => {
    stream.update();
    progress.update();
    drawOwners();
  };
  // Ten redraws a second: the run's scheduler shares this thread (see throttledFrame).
  const { schedule } = throttledFrame(draw, 100);
  model.onChange(schedule);
  const ticker = setInterval(schedule, 100);
  const follow = followTiles(run, canvas, schedule);
  void follow.drawn.then(async (count) => {
    const summary = await run.done;
    clearInterval(ticker);
    draw();
    model.dispose();
    renderButton.disabled = false;
    canvas.element.dataset.done = 'true';
    document.body.dataset.runStatus = summary.status;
    document.body.dataset.tilesDrawn = String(count);
  });
}

async function main(): Promise<void> {
  const wanted = params.get('tiles');
  if (wanted && [...tilesSelect.options].some((o) => o.value === wanted)) tilesSelect.value = wanted;
  const caps = await detectCapabilities(navigator, { probeGpu: false });
  const { source, fallbackReason } = await runSourceFromUrl(params, caps);
  byId('source-label', HTMLSpanElement).textContent = fallbackReason
    ? `${source.describe()} (${fallbackReason})`
    : source.describe();
  renderButton.onclick = () => render(source);
  window.addEventListener('pagehide', () => void source.close());
  document.body.dataset.ready = 'true';
  if (params.get('autorun') !== '0') render(source);
}

void main();
