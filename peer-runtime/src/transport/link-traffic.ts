/**
 * Bytes moved per link, for metrics (`handout_link_bytes_sent_total{peer}` and friends, docs/telemetry.md):
 * every encoded message handed to a channel and every frame received, counted by remote peer id, across
 * reconnections (a counter must not go back when a connection is re-opened).
 *
 * Bounded: at most MAX_TRAFFIC_PEERS peers are remembered; past it the peer heard from least recently is folded
 * into the `other` entry, so totals stay exact while the label set stays small enough for a time-series database.
 */

/** Bytes to and from one remote peer since this transport started. */
export interface LinkTraffic {
  /** The remote peer id, or `other` for the peers folded together. */
  readonly peer: string;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly messagesSent: number;
  readonly framesReceived: number;
}

export const MAX_TRAFFIC_PEERS = 256;
export const OTHER_PEERS = 'other';

type Counts = { -readonly [K in keyof LinkTraffic]: LinkTraffic[K] };

export class TrafficMeter {
  /** In order of last activity (re-inserted on each count), so the first entry is the one to fold. */
  private readonly byPeer = new Map<string, Counts>();
  private readonly other: Counts = zero(OTHER_PEERS);

  sent(peer: string, bytes: number): void {
    const c = this.entry(peer);
    c.bytesSent += bytes;
    c.messagesSent++;
  }

  received(peer: string, bytes: number): void {
    // Per frame (a 64 MiB message is thousands): no reordering, which `sent` does once per message.
    const c = this.byPeer.get(peer) ?? this.entry(peer);
    c.bytesReceived += bytes;
    c.framesReceived++;
  }

  snapshot(): LinkTraffic[] {
    const out: LinkTraffic[] = [...this.byPeer.values()].map((c) => ({ ...c }));
    if (this.other.messagesSent > 0 || this.other.framesReceived > 0) out.push({ ...this.other });
    return out;
  }

  private entry(peer: string): Counts {
    let c = this.byPeer.get(peer);
    if (c) {
      // Move to the back: most recently active last.
      this.byPeer.delete(peer);
      this.byPeer.set(peer, c);
      return c;
    }
    if (this.byPeer.size >= MAX_TRAFFIC_PEERS) {
      const [oldest, counts] = this.byPeer.entries().next().value as [string, Counts];
      this.byPeer.delete(oldest);
      this.other.bytesSent += counts.bytesSent;
      this.other.bytesReceived += counts.bytesReceived;
      this.other.messagesSent += counts.messagesSent;
      this.other.framesReceived += counts.framesReceived;
    }
    c = zero(peer);
    this.byPeer.set(peer, c);
    return c;
  }
}

function zero(peer: string): Counts {
  return { peer, bytesSent: 0, bytesReceived: 0, messagesSent: 0, framesReceived: 0 };
}
