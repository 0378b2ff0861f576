/**
 * What one peer measures of its links to the other peers, from traffic it has anyway: the round trip
 * (`transport.ping`, and small fetches) and the bandwidth of the results it fetches (port.ts times every
 * `result:fetch`). Peer agents report the figures to their coordinators on `peer:status` (agent/status.ts), whose
 * network model (network-probe.ts) then knows the peer-to-peer links it cannot see itself.
 *
 * How a figure is made:
 * - Fetches from one holder are timed as busy periods: from the first request to a holder until no request to it
 *   is pending. A period that moved at least BANDWIDTH_SAMPLE_BYTES is a bandwidth sample, bytes over the period
 *   less one round trip (never less than half the period: the round trip is an estimate itself), so pipelined
 *   fetches measure the link's throughput rather than each fetch's share of it. A period of one small fetch is a
 *   round-trip sample (its wire time at the known bandwidth taken off). A fetch that timed out or whose holder
 *   went away spoils its period.
 * - Each figure is an exponentially weighted mean of its samples (weight ALPHA for the newest), per remote peer.
 * - A link is due for reporting when a figure is new or moved by REPORT_CHANGE since it was last reported, so a
 *   steady mesh sends no link figures at all.
 *
 * Bounded: at most MAX_LINKS peers are remembered (the oldest dropped first); pinging touches only connections
 * fetched from lately, so measuring neither opens a connection nor keeps an idle one alive.
 */
import type { MeasuredLink } from '../measured-link.js';
import type { LinkReport } from '../protocol/messages.js';
import { TypedEmitter } from '../typed-emitter.js';

/** Fetches moving at least this much in one busy period give a bandwidth sample. */
export const BANDWIDTH_SAMPLE_BYTES = 64 * 1024;
/** Weight of the newest sample in each mean. */
const ALPHA = 0.3;
/** Relative change of a figure that makes its link due for reporting again. */
export const REPORT_CHANGE = 0.2;
/** Most remote peers remembered. */
const MAX_LINKS = 256;
/** Bandwidth samples are clamped to this range (bytes/s): a 1 kB/s floor, a 10 GB/s ceiling. */
const MIN_BYTES_PER_SECOND = 1e3;
const MAX_BYTES_PER_SECOND = 1e10;
/** Most pings one round of `pingActive` sends. */
const PINGS_PER_ROUND = 8;

/** What the meter keeps of one link: its figures (a MeasuredLink's), and the samples in the making. */
interface MeteredLink {
  rttMs: number | undefined;
  bytesPerSecond: number | undefined;
  /** performance.now() of the last round-trip sample, and of the last fetch answered. */
  rttAt: number;
  fetchedAt: number;
  /** Date.now() of the newest sample (MeasuredLink.measuredAt). */
  measuredAt: number;
  /** The current busy period of fetches from this peer. */
  pending: number;
  busySince: number;
  busyBytes: number;
  busyFetches: number;
  spoiled: boolean;
  /** The figures last reported. */
  reportedRtt: number | undefined;
  reportedBandwidth: number | undefined;
  pinging: boolean;
}

const moved = (now: number | undefined, before: number | undefined): boolean =>
  now !== undefined && (before === undefined || Math.abs(now - before) > REPORT_CHANGE * before);

const mean = (old: number | undefined, sample: number): number =>
  old === undefined ? sample : old + ALPHA * (sample - old);

export class LinkMeter {
  private readonly links = new Map<string, MeteredLink>();
  /** Peers with a figure not yet reported, in the order they became due. */
  private readonly due = new Set<string>();
  /** Catches a throwing listener (the default): a listener's bug must not stop measuring. */
  private readonly events = new TypedEmitter<{ due: string; update: string }>();

  /**
   * @param self this peer's id (its own links are not measured)
   * @param ping measures a round trip to a connected peer (`transport.ping`); used once for a peer first fetched
   *   from, and by `pingActive`
   */
  constructor(
    private readonly self: string,
    private readonly ping?: (peer: string) => Promise<number>,
  ) {}

  /** The link to `peer`, if any figure of it was measured. */
  get(peer: string): MeasuredLink | undefined {
    const l = this.links.get(peer);
    if (!l || (l.rttMs === undefined && l.bytesPerSecond === undefined)) return undefined;
    return { ...figures(l), measuredAt: l.measuredAt };
  }

  /** Calls `listener` when a link becomes due for reporting. */
  onDue(listener: () => void): () => void {
    return this.events.on('due', listener);
  }

  /** Calls `listener` after every new sample of a link (the coordinator's network model compares for itself). */
  onUpdate(listener: (peer: string) => void): () => void {
    return this.events.on('update', listener);
  }

  /** A round trip measured to `peer` (a ping). */
  noteRtt(peer: string, rttMs: number): void {
    if (peer === this.self || !Number.isFinite(rttMs) || rttMs < 0) return;
    const l = this.link(peer);
    l.rttMs = mean(l.rttMs, rttMs);
    l.rttAt = performance.now();
    l.measuredAt = Date.now();
    this.check(peer, l);
  }

  /** A `result:fetch` to `peer` leaves now. */
  fetchStarted(peer: string): void {
    if (peer === this.self) return;
    const l = this.link(peer);
    if (l.pending++ === 0) {
      l.busySince = performance.now();
      l.busyBytes = 0;
      l.busyFetches = 0;
      l.spoiled = false;
    }
  }

  /** The fetch answered (`bytes` received, 0 for a `result:missing`) or, `answered` false, failed or timed out. */
  fetchEnded(peer: string, bytes: number, answered: boolean): void {
    if (peer === this.self) return;
    const l = this.links.get(peer);
    if (!l || l.pending === 0) return;
    l.pending--;
    l.busyFetches++;
    l.busyBytes += bytes;
    if (!answered) l.spoiled = true;
    if (l.pending > 0) return;
    const now = performance.now();
    if (l.spoiled) return;
    l.fetchedAt = now;
    const elapsed = now - l.busySince;
    if (l.busyBytes >= BANDWIDTH_SAMPLE_BYTES) {
      const wireMs = Math.max(elapsed - (l.rttMs ?? 0), elapsed / 2, 0.01);
      const sample = (l.busyBytes / wireMs) * 1000;
      l.bytesPerSecond = mean(
        l.bytesPerSecond,
        Math.min(MAX_BYTES_PER_SECOND, Math.max(MIN_BYTES_PER_SECOND, sample)),
      );
      l.measuredAt = Date.now();
    } else if (l.busyFetches === 1) {
      const wireMs = l.bytesPerSecond === undefined ? 0 : (l.busyBytes / l.bytesPerSecond) * 1000;
      l.rttMs = mean(l.rttMs, Math.max(0, elapsed - wireMs));
      l.rttAt = now;
      l.measuredAt = Date.now();
    }
    this.check(peer, l);
    if (l.rttMs === undefined && !l.pinging) this.pingOnce(peer, l);
  }

  /** Links due for reporting (at most `max`), marked reported. */
  takeDue(max: number): LinkReport[] {
    const out: LinkReport[] = [];
    for (const peer of this.due) {
      if (out.length >= max) break;
      this.due.delete(peer);
      const l = this.links.get(peer);
      if (!l) continue;
      l.reportedRtt = l.rttMs;
      l.reportedBandwidth = l.bytesPerSecond;
      out.push({ peer, ...figures(l) });
    }
    return out;
  }

  /** True while links wait to be reported. */
  get hasDue(): boolean {
    return this.due.size > 0;
  }

  /** Every measured link (at most `max`, most recently fetched from first), for a coordinator met just now. */
  all(max: number): LinkReport[] {
    return [...this.links]
      .filter(([, l]) => l.rttMs !== undefined || l.bytesPerSecond !== undefined)
      .sort(([, a], [, b]) => Math.max(b.fetchedAt, b.rttAt) - Math.max(a.fetchedAt, a.rttAt))
      .slice(0, max)
      .map(([peer, l]) => ({ peer, ...figures(l) }));
  }

  /**
   * Pings the peers fetched from within the last `withinMs` whose round trip is older than that (at most
   * PINGS_PER_ROUND, the stalest first), skipping `exclude`. Only links in use: no connection is opened or kept
   * open for measuring's sake.
   */
  pingActive(withinMs: number, exclude: (peer: string) => boolean): void {
    const now = performance.now();
    const stale = [...this.links]
      .filter(
        ([peer, l]) =>
          !l.pinging && now - l.fetchedAt < withinMs && now - l.rttAt >= withinMs && !exclude(peer),
      )
      .sort(([, a], [, b]) => a.rttAt - b.rttAt)
      .slice(0, PINGS_PER_ROUND);
    for (const [peer, l] of stale) this.pingOnce(peer, l);
  }

  private pingOnce(peer: string, l: MeteredLink): void {
    if (!this.ping) return;
    l.pinging = true;
    this.ping(peer).then(
      (rtt) => {
        l.pinging = false;
        this.noteRtt(peer, rtt);
      },
      () => {
        // No figure from a failed ping (the peer went away or is slow to answer): the link keeps its last
        // round trip, and the next fetch or round of pings measures it again.
        l.pinging = false;
      },
    );
  }

  private link(peer: string): MeteredLink {
    let l = this.links.get(peer);
    if (!l) {
      if (this.links.size >= MAX_LINKS) {
        const oldest = this.links.keys().next().value as string;
        this.links.delete(oldest);
        this.due.delete(oldest);
      }
      l = {
        rttMs: undefined,
        bytesPerSecond: undefined,
        rttAt: Number.NEGATIVE_INFINITY,
        fetchedAt: Number.NEGATIVE_INFINITY,
        measuredAt: 0,
        pending: 0,
        busySince: 0,
        busyBytes: 0,
        busyFetches: 0,
        spoiled: false,
        reportedRtt: undefined,
        reportedBandwidth: undefined,
        pinging: false,
      };
      this.links.set(peer, l);
    }
    return l;
  }

  private check(peer: string, l: MeteredLink): void {
    this.events.emit('update', peer);
    if (this.due.has(peer)) return;
    if (!moved(l.rttMs, l.reportedRtt) && !moved(l.bytesPerSecond, l.reportedBandwidth)) return;
    this.due.add(peer);
    this.events.emit('due', peer);
  }
}

/** The figures of a link, rounded as they go on the wire (µs for the round trip, whole bytes per second). */
function figures(l: MeteredLink): Omit<MeasuredLink, 'measuredAt'> {
  const f: { rttMs?: number; bytesPerSecond?: number } = {};
  if (l.rttMs !== undefined) f.rttMs = Math.round(l.rttMs * 1000) / 1000;
  if (l.bytesPerSecond !== undefined) f.bytesPerSecond = Math.round(l.bytesPerSecond);
  return f;
}
