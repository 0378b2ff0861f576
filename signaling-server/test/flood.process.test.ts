/**
 * The flood probe of issue 10, each part a real process: 2,000 `peer:update`s from 100 sockets (two flooder
 * processes, twenty source addresses) against a signaling server process, while a well-behaved pair in a third
 * process signals every 20 ms and this process polls /health. Nobody is dropped, /health keeps answering, every
 * update is answered, and the updates reach the mesh as a few coalesced broadcasts.
 * Speed is not asserted: bench/signaling-flood.ts reports CPU and latency.
 */
import { describe, expect, it } from 'vitest';
import { counter, runFlood } from './fixtures/flood.js';

describe('a bounded flood of peer:update', () => {
  it('drops nobody, keeps /health answering and coalesces the broadcasts', async () => {
    const r = await runFlood({ flooderProcesses: 2, socketsPerProcess: 50, updatesPerSocket: 20 });
    const sent = 2000;
    const acked = r.flooders.reduce((n, f) => n + f.acked, 0);
    const refused = r.flooders.reduce((n, f) => n + Object.values(f.rejected).reduce((a, b) => a + b, 0), 0);

    // Every update got an answer (accepted, or refused with a reason: never a timeout).
    expect(acked + refused).toBe(sent);
    expect(r.flooders.every((f) => f.rejected.timeout === undefined)).toBe(true);
    expect(counter(r.metrics, 'handout_signaling_peer_updates_total')).toBe(acked);
    // Nobody well-behaved (nor any flooder) was dropped.
    expect(r.flooders.map((f) => f.disconnects)).toEqual([0, 0]);
    expect(r.pair.disconnects).toBe(0);
    expect(r.pair.acked).toBe(r.pair.signals);
    expect(r.pair.received).toBe(r.pair.signals);
    expect(r.metrics).not.toMatch(/handout_signaling_departures_total\{/);
    // /health answered every poll during the flood.
    expect(r.health.requests).toBeGreaterThan(0);
    expect(r.health.failed).toBe(0);
    // Coalesced: each flooder appears at most once per broadcast, so 2,000 updates from 100 peers make a few
    // broadcasts carrying at most one entry per changed peer each, not 2,000 broadcasts.
    const broadcasts = counter(r.metrics, 'handout_signaling_member_broadcasts_total');
    const carried = counter(r.metrics, 'handout_signaling_member_broadcast_peers_total');
    expect(broadcasts).toBeGreaterThan(0);
    expect(broadcasts).toBeLessThan(acked / 4);
    expect(carried).toBeLessThanOrEqual(broadcasts * 100);
    // The pair saw the flooders' changes arrive, as members:changed deltas.
    expect(r.pair.membersSeen).toBe(carried);
  }, 120_000);
});
