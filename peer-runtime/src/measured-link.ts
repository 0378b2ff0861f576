/**
 * One measured link between two peers: the figures a peer measures (mesh/link-meter.ts), reports on the wire
 * (`peer:status.links`, protocol/messages.ts `LinkReport`) and the schedulers' network model keeps
 * (scheduling/network.ts). It lives on the ground floor of peer-runtime, beside errors.ts, because protocol/,
 * scheduling/ and mesh/ all use it and none of them may depend on another for it.
 *
 * Every figure is optional: a link is often known by its round trip alone (pings) until a fetch large enough to
 * time its bandwidth has gone over it.
 */
export interface MeasuredLink {
  /** Round trip between the two peers, ms (pings and small fetches). Half of it counts as the one-way latency. */
  readonly rttMs?: number;
  /** Bytes per second in the direction the bytes flowed (timed result fetches of at least 64 KiB). */
  readonly bytesPerSecond?: number;
  /**
   * When the newest figure was measured, epoch ms on the clock of whoever holds the link. Never sent on the
   * wire (another peer's clock means nothing here): a `LinkReport` omits it.
   */
  readonly measuredAt?: number;
}
