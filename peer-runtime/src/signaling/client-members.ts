/**
 * The signaling client's view of the other members of its mesh, kept from the server's snapshot, joins,
 * coalesced changes and departures, and reported as `peer:joined` / `peer:updated` / `peer:left`.
 *
 * After a reconnect, a member missing from the new snapshot is not reported gone at once: the server may have
 * restarted (its registry is empty until everyone is back), or the member may be reconnecting through another
 * signaling process. Such members stay in the view, unconfirmed, for the server's grace window plus the
 * client's longest reconnect delay; one that comes back meanwhile is only reported as updated (if it changed),
 * and the others are reported as left (`lost`) when the wait ends. Their data channels never depended on the
 * signaling server, so nothing is torn down for a member that merely had to reconnect.
 */
import type { PeerInfo, PeerLeftMessage } from './contract.js';

export interface MemberViewListeners {
  joined(peer: PeerInfo): void;
  updated(peer: PeerInfo): void;
  left(message: PeerLeftMessage): void;
}

export class MemberView {
  private readonly members = new Map<string, PeerInfo>();
  /** Members missing from the last snapshot, each with the timer that reports them gone. */
  private readonly unconfirmed = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly report: MemberViewListeners,
    /** Added to the snapshot's grace window: how long a member may take to find a server again. */
    private readonly slackMs = 2500,
  ) {}

  all(): PeerInfo[] {
    return [...this.members.values()];
  }

  get(peerId: string): PeerInfo | undefined {
    return this.members.get(peerId);
  }

  /** The first snapshot is taken silently; a later one (a rejoin) reports what changed while we were away. */
  snapshot(peers: readonly PeerInfo[], first: boolean, graceMs: number): void {
    const fresh = new Map(peers.map((p) => [p.peerId, p]));
    if (first) {
      for (const [id, p] of fresh) this.members.set(id, p);
      return;
    }
    for (const [id] of this.members) {
      if (fresh.has(id) || this.unconfirmed.has(id)) continue;
      const timer = setTimeout(() => {
        this.unconfirmed.delete(id);
        this.left({ peerId: id, reason: 'lost' });
      }, graceMs + this.slackMs);
      (timer as { unref?: () => void }).unref?.();
      this.unconfirmed.set(id, timer);
    }
    for (const p of fresh.values()) this.seen(p);
  }

  joined(peer: PeerInfo): void {
    this.seen(peer);
  }

  /** `members:changed`: only members we know, so a change queued before a departure cannot bring a peer back. */
  changed(peers: readonly PeerInfo[]): void {
    for (const peer of peers) if (this.members.has(peer.peerId)) this.seen(peer);
  }

  left(message: PeerLeftMessage): void {
    this.confirm(message.peerId);
    if (this.members.delete(message.peerId)) this.report.left(message);
  }

  /** Stops the timers of unconfirmed members (the client closed). */
  clear(): void {
    for (const timer of this.unconfirmed.values()) clearTimeout(timer);
    this.unconfirmed.clear();
  }

  /** A member heard of: new (joined), or known and maybe changed (updated). */
  private seen(peer: PeerInfo): void {
    this.confirm(peer.peerId);
    const had = this.members.get(peer.peerId);
    this.members.set(peer.peerId, peer);
    if (!had) this.report.joined(peer);
    else if (JSON.stringify(had) !== JSON.stringify(peer)) this.report.updated(peer);
  }

  private confirm(peerId: string): void {
    clearTimeout(this.unconfirmed.get(peerId));
    this.unconfirmed.delete(peerId);
  }
}
