/**
 * The network model schedulers use: bandwidth and latency between peers, measured where known and assumed
 * elsewhere. Whoever measures links records them here (`setLink`); schedulers only read.
 */
import type { MeasuredLink } from '../measured-link.js';
import type { NetworkModel } from './types.js';

export interface NetworkModelOptions {
  /** Bytes per second between peers with no measured link. Default 12.5e6 (100 Mbit/s, a home uplink or LAN). */
  readonly defaultBandwidth?: number;
  /** Milliseconds between peers with no measured link. Default 20 (a WebRTC round trip on one continent). */
  readonly defaultLatencyMs?: number;
}

export interface MutableNetworkModel extends NetworkModel {
  /**
   * Record a measured link (figures it lacks keep their earlier value): its bandwidth is `bytesPerSecond`, its
   * latency half of `rttMs`. Symmetric unless `oneWay` (uplinks are often slower than downlinks). A link without
   * `measuredAt` is stamped with the time it was recorded.
   */
  setLink(from: string, to: string, link: MeasuredLink, oneWay?: boolean): void;
  /** The link recorded from `from` to `to`, if any. */
  link(from: string, to: string): MeasuredLink | undefined;
}

export function createNetworkModel(options: NetworkModelOptions = {}): MutableNetworkModel {
  const defaultBandwidth = options.defaultBandwidth ?? 12.5e6;
  const defaultLatencyMs = options.defaultLatencyMs ?? 20;
  const links = new Map<string, MeasuredLink>();
  const key = (from: string, to: string): string => `${from}\u0000${to}`;
  const record = (k: string, link: MeasuredLink): void => {
    links.set(k, { ...links.get(k), ...link, measuredAt: link.measuredAt ?? Date.now() });
  };

  const model: MutableNetworkModel = {
    bandwidth(from, to) {
      return links.get(key(from, to))?.bytesPerSecond ?? defaultBandwidth;
    },
    latencyMs(from, to) {
      if (from === to) return 0;
      const rtt = links.get(key(from, to))?.rttMs;
      return rtt === undefined ? defaultLatencyMs : rtt / 2;
    },
    transferMs(from, to, bytes) {
      if (from === to) return 0;
      const bandwidth = model.bandwidth(from, to);
      const wire = bytes <= 0 || bandwidth === Number.POSITIVE_INFINITY ? 0 : (bytes / bandwidth) * 1000;
      return model.latencyMs(from, to) + wire;
    },
    setLink(from, to, link, oneWay = false) {
      record(key(from, to), link);
      if (!oneWay) record(key(to, from), link);
    },
    link: (from, to) => links.get(key(from, to)),
  };
  return model;
}
