/**
 * `/metrics` of a `handout peer` (`--metrics-port`): Prometheus text from prom-client, which keeps the
 * exposition format right. Everything is read when scraped (the agent's, coordinator's, transport's and cache's
 * own counts), so a peer that nobody scrapes pays nothing; counters are totals since the process started.
 *
 * Names (docs/telemetry.md lists them with their labels): `handout_peer_*` (functions run and failed, running,
 * slots, busy seconds), `handout_link_*` (bytes and messages per remote peer, open links), `handout_cache_*`,
 * `handout_coordinator_*` on a peer that coordinates, and prom-client's default process and Node runtime
 * metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop lag, GC).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeshPeer } from '@handout/peer-runtime/peer';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** The registry of one peer process: default metrics plus the peer's own, read at scrape time. */
export function peerRegistry(peer: MeshPeer): Registry {
  const register = new Registry();
  register.setDefaultLabels({ peer: peer.peerId, mesh: peer.mesh });
  collectDefaultMetrics({ register });
  const registers = [register];

  new Counter({
    name: 'handout_peer_functions_total',
    help: 'Functions this peer answered, by outcome (succeeded, or the failure reason)',
    labelNames: ['outcome'],
    registers,
    collect() {
      const s = peer.agent?.stats();
      this.reset();
      if (!s) return;
      this.inc({ outcome: 'succeeded' }, s.succeeded);
      for (const [reason, n] of Object.entries(s.failed)) this.inc({ outcome: reason }, n ?? 0);
    },
  });
  new Counter({
    name: 'handout_peer_busy_seconds_total',
    help: 'Worker time spent on functions that succeeded',
    registers,
    collect() {
      this.reset();
      this.inc((peer.agent?.stats().busyMs ?? 0) / 1000);
    },
  });
  new Counter({
    name: 'handout_peer_executions_total',
    help: 'Functions run in a worker to the end, whoever heard of the outcome',
    registers,
    collect() {
      this.reset();
      this.inc(peer.agent?.stats().executed ?? 0);
    },
  });
  new Counter({
    name: 'handout_peer_adopted_total',
    help: 'Answers given without running anything: work handed over from a lost coordinator',
    registers,
    collect() {
      this.reset();
      this.inc(peer.agent?.stats().adopted ?? 0);
    },
  });
  new Gauge({
    name: 'handout_peer_functions_running',
    help: 'Functions running in a worker now',
    registers,
    collect() {
      this.set(peer.agent?.stats().running ?? 0);
    },
  });
  new Gauge({
    name: 'handout_peer_functions_assigned',
    help: 'Functions assigned and not yet answered (running, or waiting for inputs or a slot)',
    registers,
    collect() {
      this.set(peer.agent?.stats().assigned ?? 0);
    },
  });
  new Gauge({
    name: 'handout_peer_slots',
    help: 'Worker slots this peer offers',
    registers,
    collect() {
      this.set(peer.capabilities.cores);
    },
  });
  linkMetrics(peer, registers);
  cacheMetrics(peer, registers);
  refusalMetrics(peer, registers);
  if (peer.coordinator) coordinatorMetrics(peer, registers);
  return register;
}

function linkMetrics(peer: MeshPeer, registers: Registry[]): void {
  const traffic = () => peer.transport.traffic?.() ?? [];
  for (const [name, help, field] of [
    ['handout_link_bytes_sent_total', 'Bytes sent to each remote peer', 'bytesSent'],
    ['handout_link_bytes_received_total', 'Bytes received from each remote peer', 'bytesReceived'],
    ['handout_link_messages_sent_total', 'Messages sent to each remote peer', 'messagesSent'],
    ['handout_link_frames_received_total', 'Frames received from each remote peer', 'framesReceived'],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['remote'],
      registers,
      collect() {
        this.reset();
        for (const t of traffic()) this.inc({ remote: t.peer }, t[field]);
      },
    });
  }
  new Gauge({
    name: 'handout_links_open',
    help: 'Data-channel connections open (or opening) to other peers',
    registers,
    collect() {
      this.set(peer.transport.connections().length);
    },
  });
}

/**
 * Data-channel messages refused at this peer's doors (mesh/refusals.ts), by the side that refused (`agent`,
 * `coordinator`), the message `kind` and what it lacked (`missing`: a role or a check such as `ticket`,
 * `assignment`, `digest`, `receipt`). Not by sender: kinds and checks are a short fixed list, while sender ids
 * are whatever strangers join with, so a per-peer label would let one attacker with many tokens (or a flood of
 * new ids) grow the series without bound and take the scraper down with it. The peer id is in the log line of
 * each refusal (capped per sender per second), which is where to look for who.
 */
function refusalMetrics(peer: MeshPeer, registers: Registry[]): void {
  new Counter({
    name: 'handout_refusals_total',
    help: 'Data-channel messages refused, by side, message kind and the missing role or check',
    labelNames: ['side', 'kind', 'missing'],
    registers,
    collect() {
      this.reset();
      const sides = [
        ['agent', peer.agent?.refusals()],
        ['coordinator', peer.coordinator?.refusals()],
      ] as const;
      for (const [side, counts] of sides) {
        for (const [key, n] of counts ?? []) {
          // Keys are `"<kind> <missing>"`; neither part contains a space (message types and check names).
          const at = key.indexOf(' ');
          this.inc({ side, kind: key.slice(0, at), missing: key.slice(at + 1) }, n);
        }
      }
    },
  });
}

function cacheMetrics(peer: MeshPeer, registers: Registry[]): void {
  for (const [name, help, field] of [
    ['handout_cache_hits_total', 'Result cache reads that found the value', 'hits'],
    ['handout_cache_misses_total', 'Result cache reads that found nothing', 'misses'],
    ['handout_cache_evictions_total', 'Results evicted to stay under the bound', 'evictions'],
  ] as const) {
    new Counter({
      name,
      help,
      registers,
      async collect() {
        const s = await peer.cacheStats();
        this.reset();
        if (s) this.inc(s[field]);
      },
    });
  }
  for (const [name, help, field] of [
    ['handout_cache_entries', 'Results held in the cache', 'entries'],
    ['handout_cache_bytes', 'Bytes of the results held in the cache', 'bytes'],
  ] as const) {
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const s = await peer.cacheStats();
        this.set(s?.[field] ?? 0);
      },
    });
  }
}

function coordinatorMetrics(peer: MeshPeer, registers: Registry[]): void {
  const stats = () => peer.coordinator!.stats();
  new Counter({
    name: 'handout_coordinator_runs_total',
    help: 'Runs this coordinator finished, by status',
    labelNames: ['status'],
    registers,
    collect() {
      this.reset();
      for (const [status, n] of Object.entries(stats().runsDone)) this.inc({ status }, n ?? 0);
    },
  });
  new Counter({
    name: 'handout_coordinator_run_seconds_total',
    help: 'Wall time of the runs finished (divide by handout_coordinator_runs_total for the mean)',
    registers,
    collect() {
      this.reset();
      this.inc(stats().runMs / 1000);
    },
  });
  for (const [name, help, field] of [
    ['handout_coordinator_runs_active', 'Runs in progress', 'runs'],
    ['handout_coordinator_queue_depth', 'Ready functions waiting for a peer', 'queued'],
    ['handout_coordinator_peers', 'Peers work can go to', 'peers'],
  ] as const) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(stats()[field]);
      },
    });
  }
}

/**
 * Serves `register` at `GET /metrics` on `host:port` (port 0: a free one). Anything else is 404. The host
 * defaults to 127.0.0.1 at the caller: exposing metrics (peer ids, traffic) is a deliberate choice.
 */
export async function serveMetrics(register: Registry, host: string, port: number): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found: try GET /metrics\n');
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
