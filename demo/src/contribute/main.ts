/**
 * The contribute page: detect what this browser can give, calibrate, let the person choose cores and pause, and
 * join a mesh through the seam in mesh-seam.ts. The worker pool and the IndexedDB cache are real and used by a
 * local sample run now, and by the mesh peer once it is wired.
 *
 * URL: `?signal=<url>&token=<t>` fills the form and joins at once. `globalThis.handout` exposes the store and pool
 * for the curious (and for the end-to-end tests).
 */
import '../styles.css';
import {
  createWorkerPool,
  type ResultStore,
  type Run,
  runLocal,
  type WorkerPool,
} from '@handout/peer-runtime';
import { createIndexedDbStore } from '@handout/peer-runtime/store/idb';
import { type BrowserCapabilities, detectCapabilities } from '../common/capabilities.js';
import { byId, formatBytes } from '../common/dom.js';
import { mandelbrotDag } from '../showcase/mandelbrot-dag.js';
import { calibrate } from './calibrate.js';
import {
  attachContributor,
  type ConnectionState,
  type ContributeUi,
  type ContributorConnection,
  joinMesh,
} from './mesh-seam.js';

/** The cache is bounded; past it the least recently used results go first. */
const CACHE_MAX_BYTES = 512 * 1024 * 1024;
const CACHE_NAME = 'handout-results';

const params = new URLSearchParams(location.search);
const el = {
  signal: byId('signal', HTMLInputElement),
  token: byId('token', HTMLInputElement),
  form: byId('join-form', HTMLFormElement),
  joinMessage: byId('join-message', HTMLSpanElement),
  connection: byId('connection-label', HTMLSpanElement),
  cores: byId('cores', HTMLInputElement),
  coresLabel: byId('cores-label', HTMLSpanElement),
  pause: byId('pause', HTMLButtonElement),
  state: byId('state', HTMLSpanElement),
  running: byId('count-running', HTMLDivElement),
  finished: byId('count-finished', HTMLDivElement),
  cache: byId('count-cache', HTMLDivElement),
  cacheLabel: byId('count-cache-label', HTMLDivElement),
  practice: byId('practice', HTMLButtonElement),
  clearCache: byId('clear-cache', HTMLButtonElement),
  practiceMessage: byId('practice-message', HTMLSpanElement),
};

let running = 0;
let finished = 0;
let paused = false;
let slots = 1;
let pool: WorkerPool | undefined;
let store: ResultStore;
let connection: ContributorConnection | undefined;
const slotListeners: Array<(n: number) => void> = [];
const pauseListeners: Array<(p: boolean) => void> = [];

function counters(): void {
  el.running.textContent = String(running);
  el.finished.textContent = String(finished);
}

async function cacheStats(): Promise<void> {
  const stats = await store.stats();
  el.cache.textContent = String(stats.entries);
  el.cacheLabel.textContent = formatBytes(stats.bytes);
  document.body.dataset.cacheEntries = String(stats.entries);
}

/** The pool at the chosen size; a size change takes effect at the next idle moment. */
function currentPool(): WorkerPool {
  if (pool && pool.size !== slots && running === 0) {
    void pool.close();
    pool = undefined;
  }
  // One function per message, so `running` counts what really runs (see run-source/local.ts).
  pool ??= createWorkerPool({ size: slots, maxBatchSize: 1 });
  return pool;
}

function setStateLabel(state: ConnectionState | 'local' | 'paused', detail: string): void {
  el.state.dataset.state = state === 'closed' ? 'gone' : state;
  el.state.textContent = state === 'local' ? 'not on a mesh' : state;
  el.connection.textContent = detail;
}

const ui: ContributeUi = {
  setState: (state, detail) => setStateLabel(paused ? 'paused' : state, `${state} · ${detail}`),
  taskStarted: () => {
    running++;
    counters();
  },
  taskEnded: () => {
    running = Math.max(0, running - 1);
    finished++;
    counters();
    void cacheStats();
  },
  onSlotsChanged: (l) => slotListeners.push(l),
  onPausedChanged: (l) => pauseListeners.push(l),
};

function showCapabilities(caps: BrowserCapabilities): void {
  byId('cap-cores', HTMLElement).textContent = String(caps.cores);
  byId('cap-memory', HTMLElement).textContent =
    caps.memoryGB === undefined ? 'not reported' : `≈ ${caps.memoryGB} GiB`;
  byId('cap-gpu', HTMLElement).textContent = caps.webgpu ? `yes (${caps.gpuName})` : 'no';
  el.cores.max = String(caps.cores);
  slots = Math.max(1, caps.cores - 1);
  el.cores.value = String(slots);
  const label = (): void => {
    el.coresLabel.textContent = `${slots} of ${caps.cores} core${caps.cores === 1 ? '' : 's'}`;
  };
  label();
  el.cores.oninput = () => {
    slots = Number(el.cores.value);
    label();
    for (const l of slotListeners) l(slots);
  };
}

/** A real local run of a small Mandelbrot DAG through the page's pool and cache: the counters and cache move. */
function practiceRun(): void {
  const dag = mandelbrotDag({ size: 384, tiles: 4 });
  const run: Run = runLocal(dag, { pool: currentPool(), store });
  el.practice.disabled = true;
  run.on('task:started', () => ui.taskStarted(''));
  run.on('task:succeeded', ({ cached }) => {
    if (cached) finished++;
    else ui.taskEnded('', true);
    counters();
  });
  run.on('task:failed', () => ui.taskEnded('', false));
  void run.done.then(async (summary) => {
    el.practice.disabled = paused;
    const cached = summary.functions.filter((f) => f.cached).length;
    el.practiceMessage.textContent = `${summary.status}: ${summary.functions.length} functions, ${cached} from the cache, ${summary.endedAt - summary.startedAt} ms`;
    document.body.dataset.practiceStatus = summary.status;
    document.body.dataset.practiceCached = String(cached);
    await cacheStats();
  });
}

async function join(caps: BrowserCapabilities, speed: number): Promise<void> {
  const signal = el.signal.value.trim();
  const token = el.token.value.trim();
  if (!signal || !token) {
    el.joinMessage.textContent = 'a signaling server URL and a token are both needed';
    return;
  }
  el.joinMessage.textContent = 'joining…';
  try {
    connection = await joinMesh({
      signal,
      token,
      capabilities: caps,
      speed,
      slots,
      pool: currentPool(),
      store,
    });
    attachContributor(connection, ui);
    el.joinMessage.textContent = `joined as ${connection.peerId}`;
  } catch (error) {
    el.joinMessage.textContent = error instanceof Error ? error.message : String(error);
    el.joinMessage.dataset.kind = 'error';
  }
}

async function main(): Promise<void> {
  el.signal.value = params.get('signal') ?? '';
  el.token.value = params.get('token') ?? '';
  setStateLabel('local', 'not connected');
  store = await createIndexedDbStore({ name: CACHE_NAME, maxBytes: CACHE_MAX_BYTES });
  (globalThis as { handout?: unknown }).handout = { store, currentPool, createIndexedDbStore };
  await cacheStats();
  const caps = await detectCapabilities();
  showCapabilities(caps);
  counters();

  el.pause.onclick = () => {
    paused = !paused;
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.practice.disabled = paused;
    setStateLabel(paused ? 'paused' : (connection?.state ?? 'local'), el.connection.textContent ?? '');
    for (const l of pauseListeners) l(paused);
  };
  el.practice.onclick = practiceRun;
  el.clearCache.onclick = async () => {
    for (const hash of await store.keys()) await store.delete(hash);
    await cacheStats();
  };
  window.addEventListener('pagehide', () => {
    void connection?.close();
    void pool?.close();
    void store.close();
  });
  document.body.dataset.ready = 'true';

  const calibration = calibrate().then(
    (c) => {
      byId('cap-speed', HTMLElement).textContent =
        `${c.speed.toFixed(2)} × reference (${Math.round(c.ms)} ms)`;
      document.body.dataset.calibrated = 'true';
      return c.speed;
    },
    (error: unknown) => {
      byId('cap-speed', HTMLElement).textContent =
        `not measured (${error instanceof Error ? error.message : error})`;
      return 1;
    },
  );
  el.form.onsubmit = (event) => {
    event.preventDefault();
    void calibration.then((speed) => join(caps, speed));
  };
  if (el.signal.value && el.token.value) void calibration.then((speed) => join(caps, speed));
}

void main();
