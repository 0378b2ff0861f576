/**
 * The dashboard page: pick or upload a DAG (drawn at once), run it on the current source (a mesh, or this tab's
 * workers), and watch the graph, per-group progress, the task stream, the peers and their load over time. A
 * click on a function (graph, task stream, failed list) opens its detail; the runs list reopens earlier runs.
 *
 * Every view reads one RunModel per run (run-model/), so they agree with each other.
 *
 * URL parameters: `?signal=<url>&token=<t>` joins that mesh as a submitter (token role `submit`); `?dag=<bundled
 * id>` preselects a DAG, `&autorun=1` starts it on load, `&strategy=<name>` preselects the allocation strategy,
 * `&workers=N` sets the local pool size.
 */
import '../styles.css';
import './dashboard.css';
import type { DagJSON } from '@handout/peer-runtime';
import { detectCapabilities } from '../common/capabilities.js';
import { applyStatusColors, CACHED_COLOR, STATUS_COLORS } from '../common/colors.js';
import { byId, h, throttledFrame } from '../common/dom.js';
import { type DagShape, dagShape } from '../run-model/dag-shape.js';
import { PeerHistory } from '../run-model/peer-history.js';
import { RunModel } from '../run-model/run-model.js';
import type { PeerReadings } from '../run-model/runtime-extras.js';
import { runSourceFromUrl } from '../run-source/from-url.js';
import type { RunSource } from '../run-source/types.js';
import { BUNDLED_DAGS, findBundledDag } from './bundled-dags.js';
import { createDetailPanel } from './detail-panel.js';
import { createFailedList } from './failed-list.js';
import { createGraphView } from './graph/graph-view.js';
import { createGroupProgress, type GroupProgress } from './group-progress.js';
import { createLinksTable } from './links-table.js';
import { createPeerLinksView } from './peer-links-view.js';
import { createPeersChart } from './peers-chart.js';
import { createPeersTable } from './peers-table.js';
import { createRunViews, type RunViews } from './run-views.js';
import { createRunsList, type RunEntry } from './runs-list.js';
import { parseDagFile } from './upload.js';

applyStatusColors();
const params = new URLSearchParams(location.search);
const select = byId('dag-select', HTMLSelectElement);
const runButton = byId('run-button', HTMLButtonElement);
const cancelButton = byId('cancel-button', HTMLButtonElement);
const fileInput = byId('dag-file', HTMLInputElement);
const scaleInput = byId('import-scale', HTMLInputElement);
const message = byId('submit-message', HTMLSpanElement);
const strategySelect = byId('strategy', HTMLSelectElement);
const graphHint = byId('graph-hint', HTMLSpanElement);

let source: RunSource | undefined;
let uploaded: { name: string; dag: DagJSON } | undefined;
/** The DAG drawn before any run of it: chosen in the list or uploaded. */
let preview: { title: string; dag: DagJSON; shape: DagShape } | undefined;
const runs: RunEntry[] = [];
let shown: { entry: RunEntry; views: RunViews; offChange: () => void } | undefined;
let groups: { shape: DagShape; view: GroupProgress } | undefined;
const history = new PeerHistory();

const select$ = (id: string): void => {
  detail.show(shown?.entry.model, id);
  graph.select(id);
};
const graph = createGraphView(byId('graph', HTMLDivElement), { onSelect: select$ });
const detail = createDetailPanel(byId('detail', HTMLElement), {
  laneName: (lane) => source?.laneName(lane) ?? lane,
  onSelect: select$,
  onClose: () => {
    detail.show(undefined, undefined);
    graph.select(undefined);
  },
});
const failedList = createFailedList(byId('failed', HTMLDivElement), select$);
const peersTable = createPeersTable(byId('peers', HTMLDivElement));
const peersChart = createPeersChart(byId('peers-chart', HTMLDivElement), history);
const linksTable = createLinksTable(
  byId('links', HTMLDivElement),
  (lane) => source?.laneName(lane) ?? lane,
  (lane) => source?.peers().find((p) => p.ownsLane(lane))?.id ?? lane,
);
const peerLinksView = createPeerLinksView(byId('peer-links', HTMLDivElement), {
  laneName: (lane) => source?.laneName(lane) ?? lane,
  selfId: () => source?.selfId,
  coordinatorId: () => source?.coordinatorId?.(),
});
const runsList = createRunsList(byId('runs', HTMLDivElement), (entry) => open(entry));
byId('graph-fit', HTMLButtonElement).onclick = () => graph.fit();
byId('graph-collapse', HTMLButtonElement).onclick = () => {
  const shape = shown?.entry.model.shape ?? preview?.shape;
  if (shape) graph.setDag(shape);
};

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  message.textContent = text;
  message.dataset.kind = kind;
}

function fillLegend(): void {
  const entries: Array<[string, string]> = [...Object.entries(STATUS_COLORS), ['cached', CACHED_COLOR]];
  byId('legend', HTMLDivElement).replaceChildren(
    ...entries.map(([name, color]) => h('span', { style: `--c: ${color}`, 'data-status': name }, name)),
  );
}

function fillSelect(): void {
  select.replaceChildren(
    ...BUNDLED_DAGS.map((d) => h('option', { value: d.id, title: d.description }, d.title)),
    ...(uploaded ? [h('option', { value: 'uploaded' }, `uploaded: ${uploaded.name}`)] : []),
  );
}

function chosenDag(): { title: string; dag: DagJSON } {
  if (select.value === 'uploaded' && uploaded) return { title: uploaded.name, dag: uploaded.dag };
  const bundled = findBundledDag(select.value);
  if (!bundled) throw new Error(`no bundled DAG named '${select.value}'`);
  return { title: bundled.title, dag: bundled.build() };
}

/** Draws the chosen DAG before it runs (all pending), so a person sees what they are about to run. */
function showPreview(): void {
  try {
    const { title, dag } = chosenDag();
    preview = { title, dag, shape: dagShape(dag.functions) };
  } catch (error) {
    say(error instanceof Error ? error.message : String(error), 'error');
    return;
  }
  closeShown();
  graph.setDag(preview.shape);
  graph.setStates(undefined);
  bindGroups(preview.shape);
  groups?.view.update(() => undefined);
  graphHint.textContent = describeShape(preview.shape);
  document.body.dataset.preview = 'true';
}

function describeShape(shape: DagShape): string {
  return `${shape.layerOf.size} functions · ${shape.layers} layers · ${shape.groups.length} groups`;
}

function bindGroups(shape: DagShape): void {
  if (groups?.shape === shape) return;
  groups = { shape, view: createGroupProgress(byId('groups', HTMLDivElement), shape) };
}

function closeShown(): void {
  shown?.offChange();
  shown?.views.dispose();
  shown = undefined;
  detail.show(undefined, undefined);
}

const draw = (): void => {
  const model = shown?.entry.model;
  graph.update();
  if (model) {
    shown!.views.update();
    groups?.view.update((ids) => model.counts(ids));
    // Published here, after the views drew, so that whoever reads the body's status (scripts, the browser
    // tests) sees views that already show the end: run:done can arrive up to a redraw interval before them.
    document.body.dataset.runStatus = model.summary?.status ?? 'running';
  }
  failedList.update(model);
  detail.refresh();
  if (source) {
    peersTable.update(source.peers(), model);
    peersChart.update(source.peers(), model);
    peerLinksView.update(model, source.peers());
  }
  // Only when the run is over: it reads every result's size.
  if (model?.summary) linksTable.update(model);
  runsList.update(runs, shown?.entry);
};
/** Redraws at most every this many ms while a run changes (see throttledFrame). */
const REDRAW_MS = 100;
const { schedule, times: drawTimes } = throttledFrame(draw, REDRAW_MS);

function open(entry: RunEntry): void {
  closeShown();
  if (!source) return;
  const { model } = entry;
  graph.setDag(model.shape);
  graph.setStates(model);
  bindGroups(model.shape);
  graphHint.textContent = describeShape(model.shape);
  const views = createRunViews(model, source, select$);
  shown = { entry, views, offChange: model.onChange(schedule) };
  document.body.dataset.preview = 'false';
  document.body.dataset.shownRun = String(entry.key);
  // The status is published by draw (below) once the views show this run; until then it is not known.
  delete document.body.dataset.runStatus;
  cancelButton.disabled = model.summary !== undefined;
  cancelButton.onclick = () => model.run.cancel('cancelled from the dashboard');
  schedule();
}

function start(from: RunSource): void {
  let chosen: { title: string; dag: DagJSON };
  let model: RunModel;
  try {
    chosen = preview ?? chosenDag();
    const run = from.submit(chosen.dag, from.kind === 'mesh' ? { strategy: strategySelect.value } : {});
    model = new RunModel(chosen.dag.functions, run, Date.now, { slotsOf: (lane) => from.slotsOf(lane) });
  } catch (error) {
    // DagValidationError lists every problem with the function it concerns.
    say(error instanceof Error ? error.message : String(error), 'error');
    return;
  }
  say(
    `${chosen.dag.functions.length} functions submitted${from.kind === 'mesh' ? ` (${strategySelect.value})` : ''}`,
  );
  const entry: RunEntry = { key: runs.length + 1, title: chosen.title, model };
  runs.push(entry);
  open(entry);
  void model.run.done.then((summary) => {
    if (shown?.entry === entry) {
      cancelButton.disabled = true;
      const failed = summary.functions.filter((f) => f.status === 'failed');
      say(
        summary.status === 'succeeded'
          ? `done: ${summary.functions.length} functions in ${summary.endedAt - summary.startedAt} ms`
          : summary.status === 'cancelled'
            ? `cancelled after ${summary.endedAt - summary.startedAt} ms`
            : `${summary.status}: ${failed.length} function${failed.length === 1 ? '' : 's'} failed — ${failed[0]?.error?.message ?? ''}`,
        summary.status === 'succeeded' || summary.status === 'cancelled' ? 'info' : 'error',
      );
    }
    schedule();
  });
}

/** Samples what peers report (CPU, memory) for the peers-over-time chart. */
function samplePeers(from: RunSource): void {
  const readings = new Map<string, PeerReadings>();
  for (const p of from.peers()) if (p.readings) readings.set(p.id, p.readings);
  history.record(Date.now(), readings);
}

async function main(): Promise<void> {
  fillLegend();
  fillSelect();
  const wanted = params.get('dag');
  if (wanted && findBundledDag(wanted)) select.value = wanted;
  const wantedStrategy = params.get('strategy');
  if (wantedStrategy && [...strategySelect.options].some((o) => o.value === wantedStrategy))
    strategySelect.value = wantedStrategy;
  showPreview();
  // No WebGPU probe here: the dashboard does not use the GPU, and Chromium logs a warning for every page that
  // asks for an adapter it does not have.
  const caps = await detectCapabilities(navigator, { probeGpu: false });
  const chosen = await runSourceFromUrl(params, caps);
  const from = chosen.source;
  source = from;
  if (chosen.fallbackReason) say(`${chosen.fallbackReason} — running in this tab instead`, 'error');
  document.body.dataset.source = from.kind;
  byId('strategy-label', HTMLLabelElement).hidden = from.kind !== 'mesh';
  const label = byId('source-label', HTMLSpanElement);
  label.textContent = from.describe();
  from.onPeersChanged(() => {
    label.textContent = from.describe();
    schedule();
  });
  select.onchange = () => showPreview();
  runButton.onclick = () => start(from);
  fileInput.onchange = async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      const dag = parseDagFile(file.name, await file.text(), Number(scaleInput.value) || 1);
      uploaded = { name: file.name, dag };
      fillSelect();
      select.value = 'uploaded';
      showPreview();
      say(`${file.name}: ${dag.functions.length} functions ready to run`);
    } catch (error) {
      say(`${file.name}: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      fileInput.value = '';
    }
  };
  // Running bars grow with the clock even when no event arrives; peers' readings are sampled once a second.
  setInterval(() => {
    if (shown && !shown.entry.model.summary) schedule();
  }, 100);
  samplePeers(from);
  setInterval(() => {
    samplePeers(from);
    schedule();
  }, 1000);
  window.addEventListener('pagehide', () => void from.close());
  // A debug handle for the curious (and the end-to-end tests): the shown run and what the views draw from.
  (globalThis as { handout?: unknown }).handout = {
    source: from,
    current: () => shown && { run: shown.entry.model.run, model: shown.entry.model },
    runs: () => runs,
    graph,
    stream: () => shown?.views.stream.scene(),
    drawTimes: () => [...drawTimes.recent],
    peerLinks: () => peerLinksView.links,
  };
  schedule();
  document.body.dataset.ready = 'true';
  if (params.get('autorun') === '1') start(from);
}

void main();
