/**
 * The coordinator's network model, fed by what it can measure cheaply.
 *
 * Measured: the round trip between the coordinator and each peer (`transport.ping` on the data channel, each time a
 * connection to the peer opens, so measuring never opens a connection of its own); a link's latency is half of it.
 * Assumed: a link between two peers, which the coordinator cannot see, costs the sum of both peers' measured
 * one-way latencies to the coordinator (the path through it: an upper bound when peers sit near each other);
 * bandwidth everywhere is the model's default (100 Mbit/s) until something measures it; a peer not measured yet
 * gets the default latency (20 ms).
 */
import { createNetworkModel, type NetworkModelOptions } from '../scheduling/network.js';
import type { NetworkModel } from '../scheduling/types.js';
import type { Transport } from '../transport/types.js';

export interface NetworkProbe {
  readonly model: NetworkModel;
  /** Pings the peer and records half the round trip as its latency to the coordinator (failures are ignored). */
  measure(peerId: string): Promise<void>;
  forget(peerId: string): void;
  /** Grows with each new measurement, so plans built on older figures can tell they are stale. */
  readonly version: number;
}

export function createNetworkProbe(transport: Transport, options: NetworkModelOptions = {}): NetworkProbe {
  const self = transport.localPeerId;
  const base = createNetworkModel(options);
  /** One-way latency between the coordinator and each measured peer, ms. */
  const oneWay = new Map<string, number>();
  let version = 0;
  const latencyMs = (from: string, to: string): number => {
    if (from === to) return 0;
    const a = from === self ? 0 : oneWay.get(from);
    const b = to === self ? 0 : oneWay.get(to);
    if (a === undefined || b === undefined) return base.latencyMs(from, to);
    return a + b;
  };
  const model: NetworkModel = {
    bandwidth: (from, to) => base.bandwidth(from, to),
    latencyMs,
    transferMs(from, to, bytes) {
      if (from === to) return 0;
      const bandwidth = base.bandwidth(from, to);
      const wire = bytes <= 0 || bandwidth === Number.POSITIVE_INFINITY ? 0 : (bytes / bandwidth) * 1000;
      return latencyMs(from, to) + wire;
    },
  };
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
    forget(peerId) {
      oneWay.delete(peerId);
    },
    get version() {
      return version;
    },
  };
}
