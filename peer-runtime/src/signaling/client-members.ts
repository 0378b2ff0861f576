/**
 * The signaling client's view of the other members of its mesh, kept from the server's snapshot, joins,
 * coalesced changes and departures, and reported as `peer:joined` / `peer:updated` / `peer:left`.
 */
import type { PeerInfo, PeerLeftMessage } from './contract.js';

export interface MemberViewListeners {
  joined(peer: PeerInfo): void;
  updated(peer: PeerInfo): void;
  left(message: PeerLeftMessage): void;
}

export class MemberView {
  private readonly members = new Map<string, PeerInfo>();

  constructor(private readonly report: MemberViewListeners) {}

  all(): PeerInfo[] {
    return [...this.members.values()];
  }

  get(peerId: string): PeerInfo | undefined {
    return this.members.get(peerId);
  }

  /** The first snapshot is taken silently; a later one (a rejoin) reports what changed while we were away. */
  snapshot(peers: readonly PeerInfo[], first: boolean): void {
    const fresh = new Map(peers.map((p) => [p.peerId, p]));
    if (first) {
      for (const [id, p] of fresh) this.members.set(id, p);
      return;
    }
    for (const [id] of this.members) {
      if (!fresh.has(id)) {
        this.members.delete(id);
        this.report.left({ peerId: id, reason: 'lost' });
      }
    }
    for (const [id, p] of fresh) {
      const had = this.members.get(id);
      this.members.set(id, p);
      if (!had) this.report.joined(p);
      else if (JSON.stringify(had) !== JSON.stringify(p)) this.report.updated(p);
    }
  }

  joined(peer: PeerInfo): void {
    this.members.set(peer.peerId, peer);
    this.report.joined(peer);
  }

  /** `members:changed`: only members we know, so a change queued before a departure cannot bring a peer back. */
  changed(peers: readonly PeerInfo[]): void {
    for (const peer of peers) {
      if (!this.members.has(peer.peerId)) continue;
      this.members.set(peer.peerId, peer);
      this.report.updated(peer);
    }
  }

  left(message: PeerLeftMessage): void {
    if (this.members.delete(message.peerId)) this.report.left(message);
  }
}
