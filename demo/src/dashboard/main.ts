/**
 * The dashboard page: pick or upload a DAG, run it on the current source (a mesh, or this tab's workers), and
 * watch the graph, the task stream (a lane per peer on a mesh), the peers, the resource use and the progress live.
 *
 * URL parameters: `?signal=<url>&token=<t>` joins that mesh as a submitter (token role `submit`); `?dag=<bundled
 * id>` preselects a DAG, `&autorun=1` starts it on load, `&strategy=<name>` preselects the allocation strategy,
 * `&workers=N` sets the local pool size.
 */
import '../styles.css';
import type { DagJSON, Run } from '@handout/peer-runtime';
import { detectCapabilities } from '../common/capabilities.js';
import { byId, h, perFrame } from '../common/dom.js';
import { runSourceFromUrl } from '../run-source/from-url.js';
import type { RunSource } from '../run-source/types.js';
import { followTiles } from '../mandelbrot/follow-tiles.js';
import { mandelbrotLayoutOf } from '../mandelbrot/mandelbrot-dag.js';
import { createTileCanvas } from '../mandelbrot/tile-canvas.js';
import { BUNDLED_DAGS, findBundledDag } from './bundled-dags.js';
import { createGraphView } from './graph-view.js';
import { createPeersTable } from './peers-table.js';
import { createProgressView } from '../views/progress.js';
import { createResourceChart } from './resource-chart.js';
import { RunModel } from '../run-model/run-model.js';
import { createTaskStream } from '../views/task-stream.js';
import { parseDagFile } from './upload.js';

const params = new URLSearchParams(location.search);
const select = byId('dag-select', HTMLSelectElement);
const runButton = byId('run-button', HTMLButtonElement);
const cancelButton = byId('cancel-button', HTMLButtonElement);
const fileInput = byId('dag-file', HTMLInputElement);
const scaleInput = byId('import-scale', HTMLInputElement);
const message = byId('submit-message', HTMLSpanElement);
const strategySelect = byId('strategy', HTMLSelectElement);
const graph = createGraphView(byId('graph', HTMLDivElement));
const peersTable = createPeersTable(byId('peers', HTMLDivElement));
const showcaseCard = byId('showcase-card', HTMLElement);
const showOwners = byId('show-owners', HTMLInputElement);

let uploaded: { name: string; dag: DagJSON } | undefined;
let current: { run: Run; model: RunModel; dispose: () => void } | undefined;

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  message.textContent = text;
  message.dataset.kind = kind;
}

function fillSelect(): void {
  select.replaceChildren(
    ...BUNDLED_DAGS.map((d) => h('option', { value: d.id, title: d.description }, d.title)),
    ...(uploaded ? [h('option', { value: 'uploaded' }, `uploaded: ${uploaded.name}`)] : []),
  );
}

function chosenDag(): DagJSON {
  if (select.value === 'uploaded' && uploaded) return uploaded.dag;
  const bundled = findBundledDag(select.value);
  if (!bundled) throw new Error(`no bundled DAG named '${select.value}'`);
  return bundled.build();
}

function start(source: RunSource): void {
  let dag: DagJSON;
  let run: Run;
  try {
    dag = chosenDag();
    run = source.submit(dag, source.kind === 'mesh' ? { strategy: strategySelect.value } : {});
  } catch (error) {
    // DagValidationError lists every problem with the function it concerns.
    say(error instanceof Error ? error.message : String(error), 'error');
    return;
  }
  current?.dispose();
  say(
    `${dag.functions.length} functions submitted${source.kind === 'mesh' ? ` (${strategySelect.value})` : ''}`,
  );
  document.body.dataset.runStatus = 'running';
  const model = new RunModel(dag.functions, run, Date.now, {
    ...(source.slotsOf && { slotsOf: (lane: string) => source.slotsOf?.(lane) }),
  });
  graph.setDag(dag.functions);
  byId('graph-hint', HTMLSpanElement).textContent = `${dag.functions.length} functions`;
  const stream = createTaskStream(byId('task-stream', HTMLDivElement), model);
  const resources = createResourceChart(byId('resources', HTMLDivElement), model);
  const progress = createProgressView(byId('progress', HTMLElement), model);

  const layout = mandelbrotLayoutOf(dag);
  showcaseCard.hidden = !layout;
  let stopTiles = (): void => {};
  if (layout) {
    const canvas = createTileCanvas(layout);
    canvas.showOwners(showOwners.checked);
    showOwners.onchange = () => canvas.showOwners(showOwners.checked);
    byId('showcase', HTMLDivElement).replaceChildren(canvas.element);
    stopTiles = followTiles(run, canvas).stop;
  }

  const draw = (): void => {
    graph.setAll(model.status);
    stream.update();
    resources.update(source.capacity());
    progress.update();
    peersTable.update(source.peers(), model);
  };
  const schedule = perFrame(draw);
  const offChange = model.onChange(schedule);
  // Running bars grow with the clock even when no event arrives: tick while the run is going.
  const ticker = setInterval(schedule, 100);
  cancelButton.disabled = false;
  cancelButton.onclick = () => run.cancel('cancelled from the dashboard');

  const dispose = (): void => {
    clearInterval(ticker);
    offChange();
    stopTiles();
    model.dispose();
  };
  current = { run, model, dispose };
  void run.done.then((summary) => {
    clearInterval(ticker);
    cancelButton.disabled = true;
    draw();
    document.body.dataset.runStatus = summary.status;
    const failed = summary.functions.filter((f) => f.status === 'failed');
    say(
      summary.status === 'succeeded'
        ? `done: ${summary.functions.length} functions in ${summary.endedAt - summary.startedAt} ms`
        : `${summary.status}: ${failed.map((f) => f.error?.message ?? f.id).join('; ') || summary.status}`,
      summary.status === 'succeeded' ? 'info' : 'error',
    );
  });
}

async function main(): Promise<void> {
  fillSelect();
  const wanted = params.get('dag');
  if (wanted && findBundledDag(wanted)) select.value = wanted;
  const wantedStrategy = params.get('strategy');
  if (wantedStrategy && [...strategySelect.options].some((o) => o.value === wantedStrategy))
    strategySelect.value = wantedStrategy;
  const caps = await detectCapabilities();
  const { source, fallbackReason } = await runSourceFromUrl(params, caps);
  if (fallbackReason) say(`${fallbackReason} — running in this tab instead`, 'error');
  document.body.dataset.source = source.kind;
  byId('strategy-label', HTMLLabelElement).hidden = source.kind !== 'mesh';
  const label = byId('source-label', HTMLSpanElement);
  const showSource = (): void => {
    label.textContent = source.describe();
  };
  showSource();
  peersTable.update(source.peers(), undefined);
  source.onPeersChanged(() => {
    showSource();
    peersTable.update(source.peers(), current?.model);
  });
  runButton.onclick = () => start(source);
  fileInput.onchange = async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      const dag = parseDagFile(file.name, await file.text(), Number(scaleInput.value) || 1);
      uploaded = { name: file.name, dag };
      fillSelect();
      select.value = 'uploaded';
      say(`${file.name}: ${dag.functions.length} functions ready to run`);
    } catch (error) {
      say(`${file.name}: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      fileInput.value = '';
    }
  };
  window.addEventListener('pagehide', () => void source.close());
  // A debug handle for the curious (and the end-to-end tests): the current run and what the views draw from.
  (globalThis as { handout?: unknown }).handout = { source, current: () => current };
  document.body.dataset.ready = 'true';
  if (params.get('autorun') === '1') start(source);
}

void main();
