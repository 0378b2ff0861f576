/**
 * A thousand simulated peers joining one mesh (issue 12), each part a real process: the signaling server(s),
 * and two client processes of socket.io clients speaking the signaling protocol (signaling-server/test/fixtures/
 * load-clients.ts, no
 * WebRTC). Three sittings, in this order, on the same machine:
 *
 * - `one-process-immediate`: one server, every join broadcast at once as `peer:joined` (before: N²/2 writes);
 * - `one-process-coalesced`: one server, joins coalesced into `members:changed` every 100 ms (after);
 * - `two-processes-redis`: two servers over a real redis-server (started here), clients split between them.
 *
 * Reported per sitting: time until all joined, join latency p50/p99 (connect to welcome, 50 joins in flight per
 * client process), server memory per peer (RSS growth over the joins, summed over servers, / peers), server CPU
 * per join (user + system over the joins, summed over servers), and server→client messages per join (every event
 * the clients received, welcomes included). Figures only: nothing here passes or fails. The per-address limits
 * are lifted for the run (every client is on 127.0.0.1).
 *
 *   nice pnpm bench signaling-load        (HANDOUT_LOAD_PEERS=200 for a quick look)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signToken } from '../peer-runtime/src/signaling/token.js';
import { startRedisServer } from '../signaling-server/test/fixtures/redis-server.js';
import type { BenchResult } from './types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const SERVER = join(here, '../signaling-server/test/fixtures/server.ts');
const CLIENTS = join(here, '../signaling-server/test/fixtures/load-clients.ts');
const SECRET = 'signaling-load-bench';
const CLIENT_PROCESSES = 2;
const INFLIGHT = 50;

interface Child {
  readonly process: ChildProcess;
  readonly lines: Interface;
  line(match: (l: string) => boolean): Promise<string>;
}

function start(file: string, arg: string): Child {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file, arg], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const seen: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  lines.on('line', (l) => {
    const w = waiters.findIndex((x) => x.match(l));
    if (w >= 0) waiters.splice(w, 1)[0]!.resolve(l);
    else seen.push(l);
  });
  return {
    process: child,
    lines,
    line(match) {
      const i = seen.findIndex(match);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]!);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** user + system CPU seconds of a process, from /proc (clock ticks of 10 ms on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

interface Sitting {
  readonly name: string;
  readonly servers: number;
  readonly coalesceJoins: boolean;
  readonly redis: boolean;
}

async function sit(sitting: Sitting, peers: number): Promise<Record<string, number>> {
  const redis = sitting.redis ? await startRedisServer() : undefined;
  const children: Child[] = [];
  try {
    const options = {
      secret: SECRET,
      maxConnectionsPerAddress: 0,
      connectionRate: { burst: 1_000_000, perSecond: 1_000_000 },
      coalesceJoins: sitting.coalesceJoins,
      ...(redis && { redis: redis.url, redisPrefix: `load-${Date.now()}:` }),
    };
    const servers: { url: string; pid: number }[] = [];
    for (let i = 0; i < sitting.servers; i++) {
      const s = start(SERVER, JSON.stringify(options));
      children.push(s);
      servers.push(JSON.parse(await s.line((l) => l.startsWith('{'))));
    }
    const token = signToken(
      { mesh: 'load', roles: ['contribute'], exp: Math.floor(Date.now() / 1000) + 3600 },
      SECRET,
    );
    const clients: Child[] = [];
    for (let c = 0; c < CLIENT_PROCESSES; c++) {
      // Client process c talks to server c (mod the servers): with two servers, half the peers on each.
      const urls = [servers[c % servers.length]!.url];
      const count = Math.floor(peers / CLIENT_PROCESSES) + (c < peers % CLIENT_PROCESSES ? 1 : 0);
      const child = start(
        CLIENTS,
        JSON.stringify({ urls, token, prefix: `c${c}-`, count, inflight: INFLIGHT }),
      );
      children.push(child);
      clients.push(child);
      await child.line((l) => l === 'ready');
    }
    await new Promise((r) => setTimeout(r, 500));
    const rss0 = servers.reduce((n, s) => n + rssBytes(s.pid), 0);
    const cpu0 = servers.reduce((n, s) => n + cpuSeconds(s.pid), 0);
    const t0 = performance.now();
    for (const c of clients) c.process.stdin!.write('go\n');
    const joined = await Promise.all(clients.map((c) => c.line((l) => l.startsWith('{"joined"'))));
    const allJoinedMs = performance.now() - t0;
    const results = joined.map(
      (l) => JSON.parse(l) as { joined: number; failures: number; latencies: number[] },
    );
    // Let the last broadcasts drain: until the clients' event counts stop moving.
    let events = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      for (const c of clients) c.process.stdin!.write('report\n');
      const counts = await Promise.all(clients.map((c) => c.line((l) => l.startsWith('{"events"'))));
      const now = counts.reduce((n, l) => n + (JSON.parse(l) as { events: number }).events, 0);
      if (now === events) break;
      events = now;
    }
    const cpu1 = servers.reduce((n, s) => n + cpuSeconds(s.pid), 0);
    const rss1 = servers.reduce((n, s) => n + rssBytes(s.pid), 0);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const ok = latencies.length;
    for (const c of clients) c.process.stdin!.write('exit\n');
    return {
      peers: ok,
      failures: results.reduce((n, r) => n + r.failures, 0),
      allJoinedMs: Math.round(allJoinedMs),
      joinP50Ms: +percentile(latencies, 50).toFixed(1),
      joinP99Ms: +percentile(latencies, 99).toFixed(1),
      serverKiBPerPeer: +((rss1 - rss0) / 1024 / ok).toFixed(1),
      serverCpuMsPerJoin: +(((cpu1 - cpu0) * 1000) / ok).toFixed(2),
      messagesPerJoin: +(events / ok).toFixed(1),
    };
  } finally {
    for (const c of children) c.process.kill('SIGKILL');
    await redis?.stop();
  }
}

const SITTINGS: readonly Sitting[] = [
  { name: 'one-process-immediate', servers: 1, coalesceJoins: false, redis: false },
  { name: 'one-process-coalesced', servers: 1, coalesceJoins: true, redis: false },
  { name: 'two-processes-redis', servers: 2, coalesceJoins: true, redis: true },
];

export async function benchSignalingLoad(): Promise<BenchResult> {
  const peers = Number(process.env.HANDOUT_LOAD_PEERS ?? 1000);
  const metrics: Record<string, number> = {};
  const parts: string[] = [];
  for (const s of SITTINGS) {
    const r = await sit(s, peers);
    for (const [k, v] of Object.entries(r)) metrics[`${s.name}.${k}`] = v;
    parts.push(
      `${s.name}: ${r.peers} joined in ${(r.allJoinedMs! / 1000).toFixed(1)} s, p50 ${r.joinP50Ms} ms / p99 ${r.joinP99Ms} ms, ` +
        `${r.serverKiBPerPeer} KiB and ${r.serverCpuMsPerJoin} ms CPU per peer, ${r.messagesPerJoin} messages per join`,
    );
  }
  const one = metrics['one-process-coalesced.allJoinedMs']!;
  const two = metrics['two-processes-redis.allJoinedMs']!;
  metrics['redisOverOneProcess.allJoinedRatio'] = +(two / one).toFixed(2);
  metrics['redisOverOneProcess.joinP99Ratio'] = +(
    metrics['two-processes-redis.joinP99Ms']! / metrics['one-process-coalesced.joinP99Ms']!
  ).toFixed(2);
  return {
    name: 'signaling-load',
    metrics,
    summary: `${parts.join('; ')}; two processes over Redis / one: ${metrics['redisOverOneProcess.allJoinedRatio']}× the time to join all`,
  };
}
