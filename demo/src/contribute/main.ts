/**
 * The contribute page: this tab joins a mesh as a real peer (contributor.ts: `createMeshPeer` with the role
 * `contribute`), runs what coordinators assign in its Web Workers and keeps the results in IndexedDB, where they
 * survive a reload and are served to other peers. It shows what it detected, lets the person choose how many
 * cores to give and pause, and shows what it runs, how much it finished and how big its cache is.
 *
 * URL: `?signal=<url>&token=<t>` fills the form and joins at once; `&ice=<entry>` (repeatable, or comma-separated:
 * `stun:host:3478`, `turn:user:pass@host:3478`) adds STUN/TURN servers of the page's own to those the signaling
 * server hands out (none by default: the page then connects directly only). `globalThis.handout` exposes the store, the
 * pool and the connection for the curious (and for the end-to-end tests).
 */
import '../styles.css';
import { createWorkerPool, type ResultStore, type Run, runLocal } from '@handout/peer-runtime';
import { calibrateSpeed, parseIceServers } from '@handout/peer-runtime/peer';
import { createIndexedDbStore } from '@handout/peer-runtime/store/idb';
import { type BrowserCapabilities, detectCapabilities } from '../common/capabilities.js';
import { byId, formatBytes, h } from '../common/dom.js';
import { mandelbrotDag } from '../mandelbrot/mandelbrot-dag.js';
import { claimCacheName } from './cache-name.js';
import { type ConnectionState, type ContributorConnection, joinMesh } from './contributor.js';
import { createSlotPool, type SlotPool } from './slot-pool.js';

/** The cache is bounded; past it the least recently used results go first. */
const CACHE_MAX_BYTES = 512 * 1024 * 1024;

const params = new URLSearchParams(location.search);
const el = {
  signal: byId('signal', HTMLInputElement),
  token: byId('token', HTMLInputElement),
  form: byId('join-form', HTMLFormElement),
  joinButton: byId('join', HTMLButtonElement),
  joinMessage: byId('join-message', HTMLSpanElement),
  connection: byId('connection-label', HTMLSpanElement),
  peerId: byId('peer-id', HTMLElement),
  meshName: byId('mesh-name', HTMLElement),
  meshPeers: byId('mesh-peers', HTMLElement),
  cores: byId('cores', HTMLInputElement),
  coresLabel: byId('cores-label', HTMLSpanElement),
  pause: byId('pause', HTMLButtonElement),
  state: byId('state', HTMLSpanElement),
  running: byId('count-running', HTMLDivElement),
  finished: byId('count-finished', HTMLDivElement),
  cache: byId('count-cache', HTMLDivElement),
  cacheLabel: byId('count-cache-label', HTMLDivElement),
  runningList: byId('running-list', HTMLUListElement),
  practice: byId('practice', HTMLButtonElement),
  clearCache: byId('clear-cache', HTMLButtonElement),
  practiceMessage: byId('practice-message', HTMLSpanElement),
};

let finished = 0;
let paused = false;
let pool: SlotPool;
let store: ResultStore;
/** The IndexedDB name of `store` (cache-name.ts); the cache's receipts live beside it. */
let cacheName: string;
let connection: ContributorConnection | undefined;

let showPending = false;
/**
 * Draws the activity once per burst: a batch starts and ends its calls together (up to 64 events in one go), and
 * redrawing the list for each was the tab's largest JavaScript cost after batching (profiled, `pnpm bench browser`).
 * A microtask, not requestAnimationFrame: a hidden tab gets no frames, and its counters must still move.
 */
function scheduleShowActivity(): void {
  if (showPending) return;
  showPending = true;
  queueMicrotask(() => {
    showPending = false;
    showActivity();
  });
}

/** Counters and the running list, from the pool's own view (mesh work and the sample run alike). */
function showActivity(): void {
  const running = pool.running();
  el.running.textContent = String(running.length);
  el.finished.textContent = String(finished);
  document.body.dataset.finished = String(finished);
  el.runningList.replaceChildren(
    ...(running.length > 0
      ? running.slice(0, 12).map((id) => h('li', { title: id }, id.length > 28 ? `${id.slice(0, 26)}…` : id))
      : [h('li', { class: 'empty' }, paused ? 'paused' : 'nothing')]),
    ...(running.length > 12 ? [h('li', { class: 'empty' }, `+${running.length - 12} more`)] : []),
  );
}

let statsPending = false;
let statsAgain = false;
/**
 * Cache size from the store's own bookkeeping (no blob reads); coalesced, since completions come in bursts. A
 * request that arrives while one is pending is not dropped: the loop reads the stats once more, so the last
 * completion of a burst is always shown.
 */
async function cacheStats(): Promise<void> {
  if (statsPending) {
    statsAgain = true;
    return;
  }
  statsPending = true;
  do {
    statsAgain = false;
    await new Promise((r) => setTimeout(r, 100));
    await showCacheStats();
  } while (statsAgain);
  statsPending = false;
}

async function showCacheStats(): Promise<void> {
  const stats = await store.stats();
  el.cache.textContent = String(stats.entries);
  el.cacheLabel.textContent = formatBytes(stats.bytes);
  document.body.dataset.cacheEntries = String(stats.entries);
}

function setStateLabel(state: ConnectionState | 'local', detail: string): void {
  const shown = paused ? 'paused' : state;
  el.state.dataset.state = shown === 'closed' ? 'gone' : shown;
  el.state.textContent = shown === 'local' ? 'not on a mesh' : shown;
  el.connection.textContent = detail;
  document.body.dataset.connection = state;
}

function showPeers(): void {
  if (!connection) return;
  const others = connection.peers();
  const browsers = others.filter((p) => p.capabilities.platform === 'browser').length;
  const coordinators = others.filter((p) => p.roles.includes('coordinate')).length;
  el.meshPeers.textContent =
    `${others.length} peer${others.length === 1 ? '' : 's'} (${browsers} browser${browsers === 1 ? '' : 's'}, ` +
    `${others.length - browsers} Node) · ${coordinators} coordinator${coordinators === 1 ? '' : 's'}`;
}

function showCapabilities(caps: BrowserCapabilities): number {
  byId('cap-cores', HTMLElement).textContent = String(caps.cores);
  byId('cap-memory', HTMLElement).textContent =
    caps.memoryGB === undefined ? 'not reported' : `≈ ${caps.memoryGB} GiB`;
  byId('cap-gpu', HTMLElement).textContent = caps.webgpu ? `yes (${caps.gpuName})` : 'no';
  el.cores.max = String(caps.cores);
  // Leave one core to the page and the rest of the machine, unless there is only one.
  const slots = Math.max(1, caps.cores - 1);
  el.cores.value = String(slots);
  return slots;
}

function showSlots(cores: number): void {
  el.coresLabel.textContent = `${pool.size} of ${cores} core${cores === 1 ? '' : 's'}`;
}

/** A real local run of a small Mandelbrot DAG through the page's pool and cache: the counters and cache move. */
function practiceRun(): void {
  const dag = mandelbrotDag({ size: 384, tiles: 4 });
  const run: Run = runLocal(dag, { pool, store });
  el.practice.disabled = true;
  run.on('task:succeeded', ({ cached }) => {
    if (cached) finished++;
    showActivity();
  });
  void run.done.then(async (summary) => {
    el.practice.disabled = paused;
    const cached = summary.functions.filter((f) => f.cached).length;
    el.practiceMessage.textContent = `${summary.status}: ${summary.functions.length} functions, ${cached} from the cache, ${summary.endedAt - summary.startedAt} ms`;
    // The run has settled its cache writes; show the final size before announcing the status.
    await showCacheStats();
    document.body.dataset.practiceCached = String(cached);
    document.body.dataset.practiceStatus = summary.status;
  });
}

async function join(speed: number): Promise<void> {
  const signal = el.signal.value.trim();
  const token = el.token.value.trim();
  if (!signal || !token) {
    el.joinMessage.textContent = 'a signaling server URL and a token are both needed';
    el.joinMessage.dataset.kind = 'error';
    return;
  }
  let iceServers: RTCIceServer[];
  try {
    iceServers = parseIceServers(params.getAll('ice'));
  } catch (error) {
    el.joinMessage.textContent = `the page's ice parameter: ${(error as Error).message}`;
    el.joinMessage.dataset.kind = 'error';
    return;
  }
  el.joinButton.disabled = true;
  el.joinMessage.textContent = 'joining…';
  el.joinMessage.dataset.kind = 'info';
  setStateLabel('connecting', `connecting to ${signal}`);
  try {
    connection = await joinMesh({ signal, token, speed, pool, store, cacheName, iceServers });
  } catch (error) {
    el.joinButton.disabled = false;
    el.joinMessage.textContent = error instanceof Error ? error.message : String(error);
    el.joinMessage.dataset.kind = 'error';
    setStateLabel('local', 'not connected');
    return;
  }
  const c = connection;
  el.joinMessage.textContent = `joined as ${c.peerId}`;
  el.joinButton.textContent = 'Joined';
  el.peerId.textContent = c.peerId;
  el.peerId.title = c.peerId;
  el.meshName.textContent = c.mesh;
  document.body.dataset.peerId = c.peerId;
  setStateLabel('connected', `${c.mesh} · ${c.peerId}`);
  c.on('state', ({ state, reason }) => setStateLabel(state, `${state} · ${reason ?? c.peerId}`));
  c.on('peers', showPeers);
  showPeers();
  if (paused) await c.setPaused(true);
}

async function main(): Promise<void> {
  el.signal.value = params.get('signal') ?? '';
  el.token.value = params.get('token') ?? '';
  setStateLabel('local', 'not connected');
  const caps = await detectCapabilities();
  // One worker per core; the slider sets how many run at once (the pool's setSlots, see slot-pool.ts). Calls
  // travel in batches as on Node peers: one function per message (this page's earlier setting, so that "running
  // now" was exact) cost a worker round trip per function and made a tab ~6× slower per slot than a Node peer
  // (`pnpm bench browser`). "Running" is now what was handed to a worker.
  // A contributor runs strangers' code: no module code references at all (a pool's default allows any, which
  // is for one's own modules); source code runs in the sandbox either way.
  const workers = createWorkerPool({ size: caps.cores, allowModules: [] });
  pool = createSlotPool(workers, showCapabilities(caps));
  showSlots(caps.cores);
  cacheName = await claimCacheName();
  store = await createIndexedDbStore({ name: cacheName, maxBytes: CACHE_MAX_BYTES });
  byId('cap-cache', HTMLElement).textContent =
    `IndexedDB “${cacheName}”, up to ${formatBytes(CACHE_MAX_BYTES)}`;
  (globalThis as { handout?: unknown }).handout = {
    store,
    pool,
    createIndexedDbStore,
    connection: () => connection,
  };
  pool.onActivity(({ kind, ok }) => {
    if (kind === 'ended') {
      // Failures and work handed back (pause, leaving) are not "finished"; the coordinator places them again.
      if (ok) finished++;
      void cacheStats();
    }
    scheduleShowActivity();
  });
  await cacheStats();
  showActivity();

  el.cores.oninput = () => {
    const n = Number(el.cores.value);
    el.coresLabel.textContent = `${n} of ${caps.cores} core${caps.cores === 1 ? '' : 's'}`;
  };
  // Applied when the slider is let go: a change re-advertises the slots (see ContributorConnection.setSlots).
  el.cores.onchange = () => {
    const n = Number(el.cores.value);
    if (connection) void connection.setSlots(n);
    else pool.setSlots(n);
    showSlots(caps.cores);
  };
  el.pause.onclick = () => {
    paused = !paused;
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.practice.disabled = paused;
    document.body.dataset.paused = String(paused);
    setStateLabel(connection?.state ?? 'local', el.connection.textContent ?? '');
    showActivity();
    void connection?.setPaused(paused);
  };
  el.practice.onclick = practiceRun;
  el.clearCache.onclick = async () => {
    for (const hash of await store.keys()) await store.delete(hash);
    await cacheStats();
  };
  // Leaving: hand back unstarted work and close the channels while the page can still send. A tab that dies
  // without this (crash, kill) is noticed by the signaling server's presence timeout and by the peers' channels.
  window.addEventListener('pagehide', () => {
    void connection?.close(0).finally(() => {
      void pool.close();
      void store.close();
    });
  });
  // A page restored from the back/forward cache left the mesh on pagehide: load it afresh to join again.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload();
  });
  document.body.dataset.ready = 'true';

  // The same calibration as Node peers (same workload, same reference), on one of this page's workers.
  const calibration = calibrateSpeed(workers).then(
    (c) => {
      byId('cap-speed', HTMLElement).textContent =
        `${c.speed.toFixed(2)} × reference (${c.bestMs.toFixed(1)} ms)`;
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
    if (connection) return;
    void calibration.then((speed) => join(speed));
  };
  if (el.signal.value && el.token.value) void calibration.then((speed) => join(speed));
}

void main();
