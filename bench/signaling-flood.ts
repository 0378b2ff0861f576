/**
 * The signaling flood probe (issue 10): a signaling server, a well-behaved pair and flooder processes, each in
 * its own process; 2,000 `peer:update`s from 100 sockets (2 processes × 50 sockets × 20 updates, from 20 source
 * addresses) at once. Reports the server's CPU over the flood, `/health` latency while it lasts, what the pair
 * saw, and the broadcast counters. Figures only: nothing here passes or fails.
 *
 *   nice node --conditions=source --import tsx bench/signaling-flood.ts [--runs 3]
 */
import { counter, runFlood } from '../signaling-server/test/fixtures/flood.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
for (let i = 0; i < runs; i++) {
  const r = await runFlood({ flooderProcesses: 2, socketsPerProcess: 50, updatesPerSocket: 20 });
  const sent = 2 * 50 * 20;
  const acked = r.flooders.reduce((n, f) => n + f.acked, 0);
  const rejected: Record<string, number> = {};
  for (const f of r.flooders)
    for (const [k, v] of Object.entries(f.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  console.log(
    JSON.stringify({
      run: i + 1,
      sent,
      acked,
      rejected,
      flooderDisconnects: r.flooders.reduce((n, f) => n + f.disconnects, 0),
      floodMs: Math.round(r.floodMs),
      serverCpuPercent: Math.round(r.serverCpuPercent),
      flooderCpuPercent: Math.round(r.flooderCpuPercent),
      health: {
        requests: r.health.requests,
        failed: r.health.failed,
        p50Ms: +r.health.p50Ms.toFixed(1),
        p99Ms: +r.health.p99Ms.toFixed(1),
        maxMs: +r.health.maxMs.toFixed(1),
      },
      pair: r.pair,
      memberBroadcasts: counter(r.metrics, 'handout_signaling_member_broadcasts_total'),
      memberBroadcastPeers: counter(r.metrics, 'handout_signaling_member_broadcast_peers_total'),
    }),
  );
}
