/**
 * The coordinator's network model, fed by what it and its peers measure on links they use anyway.
 *
 * Measured:
 * - the round trip between the coordinator and each peer (`transport.ping` on the data channel, each time a
 *   connection to the peer opens, so measuring never opens a connection of its own); latency is half of it;
 * - links between two peers, as the peers report them on `peer:status.links` (link-meter.ts): the round trip
 *   (pings and small fetches; latency is half of it) and the bandwidth of the results one fetched from the other
 *   (fetches of at least 64 KiB), in the direction the bytes flowed;
 * - the bandwidth from a peer to the coordinator, from the coordinator's own fetches (its port's LinkMeter).
 * Assumed where nothing was measured: a link between two peers costs the sum of both peers' one-way latencies to
 * the coordinator (the path through it: an upper bound when peers sit near each other); a link measured in one
 * direction only has the same bandwidth both ways; other bandwidths are the model's default (100 Mbit/s); a peer
 * not measured yet gets the default latency (20 ms).
 *
 * `version` grows when a figure is new or moves by more than CHANGE, so HEFT plans (heft-plans.ts) are rebuilt
 * on figures that matter, not on every jitter of a mean.
 */

import type { LinkMeter } from '../mesh/link-meter.js';
import type { LinkReport } from '../protocol/messages.js';
import { createNetworkModel, type NetworkModelOptions } from '../scheduling/network.js';
import type { NetworkModel } from '../scheduling/types.js';
import type { Transport } from '../transport/types.js';

/** Relative change of a measured figure that makes the model a new version. */
const CHANGE = 0.1;

export interface NetworkProbe {
  readonly model: NetworkModel;
  /** Pings the peer and records half the round trip as its latency to the coordinator (failures are ignored). */
  measure(peerId: string): Promise<void>;
  /** Takes the links `reporter` measured to other peers (its `peer:status.links`). */
  learn(reporter: string, links: readonly LinkReport[]): void;
  forget(peerId: string): void;
  /** Stops listening to the meter. */
  close(): void;
  /** Grows with each new measurement, so plans built on older figures can tell they are stale. */
  readonly version: number;
}

const differs = (now: number, before: number | undefined): boolean =>
  before === undefined || Math.abs(now - before) > CHANGE * before;

export function createNetworkProbe(
  transport: Transport,
  options: NetworkModelOptions = {},
  /** The coordinator's own link figures (its port's meter): bandwidth of its fetches from peers. */
  meter?: LinkMeter,
): NetworkProbe {
  const self = transport.localPeerId;
  const base = createNetworkModel(options);
  /** One-way latency between the coordinator and each measured peer, ms. */
  const oneWay = new Map<string, number>();
  /** Reported round trips between two peers, by unordered pair. */
  const pairRtt = new Map<string, number>();
  /** Reported bandwidth, bytes/s, by `from\0to` (the direction the bytes flowed). */
  const flow = new Map<string, number>();
  const pair = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const directed = (from: string, to: string): string => `${from}\u0000${to}`;
  let version = 0;

  const latencyMs = (from: string, to: string): number => {
    if (from === to) return 0;
    if (from !== self && to !== self) {
      const rtt = pairRtt.get(pair(from, to));
      if (rtt !== undefined) return rtt / 2;
    }
    const a = from === self ? 0 : oneWay.get(from);
    const b = to === self ? 0 : oneWay.get(to);
    if (a === undefined || b === undefined) return base.latencyMs(from, to);
    return a + b;
  };
  const bandwidth = (from: string, to: string): number => {
    if (to === self) {
      const own = meter?.get(from)?.bytesPerSecond;
      if (own !== undefined) return own;
    }
    return flow.get(directed(from, to)) ?? flow.get(directed(to, from)) ?? base.bandwidth(from, to);
  };
  const model: NetworkModel = {
    bandwidth,
    latencyMs,
    transferMs(from, to, bytes) {
      if (from === to) return 0;
      const bw = bandwidth(from, to);
      const wire = bytes <= 0 || bw === Number.POSITIVE_INFINITY ? 0 : (bytes / bw) * 1000;
      return latencyMs(from, to) + wire;
    },
  };
  /** The bandwidth of the coordinator's own fetches from each peer, as the current version's plans saw it. */
  const ownSeen = new Map<string, number>();
  const offMeter = meter?.onUpdate((peer) => {
    const now = meter.get(peer)?.bytesPerSecond;
    if (now === undefined || !differs(now, ownSeen.get(peer))) return;
    ownSeen.set(peer, now);
    version++;
  });
  return {
    model,
    async measure(peerId) {
      if (peerId === self) return;
      try {
        const rtt = await transport.ping(peerId);
        if (Number.isFinite(rtt) && rtt >= 0) {
          oneWay.set(peerId, rtt / 2);
          version++;
        }
      } catch {
        // Unreachable now: the liveness checks deal with that; keep the last measurement.
      }
    },
    learn(reporter, links) {
      let changed = false;
      for (const link of links) {
        if (link.peer === reporter) continue;
        if (link.rttMs !== undefined && link.peer !== self && reporter !== self) {
          const key = pair(reporter, link.peer);
          if (differs(link.rttMs, pairRtt.get(key))) changed = true;
          pairRtt.set(key, link.rttMs);
        }
        if (link.bytesPerSecond !== undefined) {
          // The reporter fetched from `link.peer`: the bytes flowed from it to the reporter.
          const key = directed(link.peer, reporter);
          if (differs(link.bytesPerSecond, flow.get(key))) changed = true;
          flow.set(key, link.bytesPerSecond);
        }
      }
      if (changed) version++;
    },
    forget(peerId) {
      oneWay.delete(peerId);
      ownSeen.delete(peerId);
      for (const map of [pairRtt, flow]) {
        for (const key of map.keys()) {
          const [a, b] = key.split('\u0000');
          if (a === peerId || b === peerId) map.delete(key);
        }
      }
    },
    close() {
      offMeter?.();
    },
    get version() {
      return version;
    },
  };
}
