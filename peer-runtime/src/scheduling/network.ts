/**
 * The network model schedulers use: bandwidth and latency between peers, measured where known and assumed
 * elsewhere. The coordinator updates links as it measures transfers; schedulers only read.
 */
import type { NetworkModel } from './types.js';

export interface NetworkModelOptions {
  /** Bytes per second between peers with no measured link. Default 12.5e6 (100 Mbit/s, a home uplink or LAN). */
  readonly defaultBandwidth?: number;
  /** Milliseconds between peers with no measured link. Default 20 (a WebRTC round trip on one continent). */
  readonly defaultLatencyMs?: number;
}

export interface Link {
  readonly bandwidth?: number;
  readonly latencyMs?: number;
}

export interface MutableNetworkModel extends NetworkModel {
  /** Record a measured link. Symmetric unless `oneWay` (uplinks are often slower than downlinks). */
  setLink(from: string, to: string, link: Link, oneWay?: boolean): void;
}

export function createNetworkModel(options: NetworkModelOptions = {}): MutableNetworkModel {
  const defaultBandwidth = options.defaultBandwidth ?? 12.5e6;
  const defaultLatencyMs = options.defaultLatencyMs ?? 20;
  const links = new Map<string, Link>();
  const key = (from: string, to: string): string => `${from}\u0000${to}`;

  const model: MutableNetworkModel = {
    bandwidth(from, to) {
      return links.get(key(from, to))?.bandwidth ?? defaultBandwidth;
    },
    latencyMs(from, to) {
      return from === to ? 0 : (links.get(key(from, to))?.latencyMs ?? defaultLatencyMs);
    },
    transferMs(from, to, bytes) {
      if (from === to) return 0;
      const bandwidth = model.bandwidth(from, to);
      const wire = bytes <= 0 || bandwidth === Number.POSITIVE_INFINITY ? 0 : (bytes / bandwidth) * 1000;
      return model.latencyMs(from, to) + wire;
    },
    setLink(from, to, link, oneWay = false) {
      links.set(key(from, to), { ...links.get(key(from, to)), ...link });
      if (!oneWay) links.set(key(to, from), { ...links.get(key(to, from)), ...link });
    },
  };
  return model;
}
