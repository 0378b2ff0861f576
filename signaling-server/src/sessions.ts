/**
 * The sessions this process serves: one per admitted socket, holding the latest copy of its peer's record (what
 * this process last wrote to the registry). The registry is the shared truth; this is what a process needs
 * without asking it: which records to keep alive (`refresh`), and whether a queued `members:changed` entry is
 * still a live session here.
 */
import type { PeerRecord } from './registry-types.js';

export interface Session {
  readonly mesh: string;
  readonly peerId: string;
  readonly socketId: string;
  /** The record as this process last wrote it; replaced on every accepted change. */
  record: PeerRecord;
}

export class LocalSessions {
  private readonly bySocket = new Map<string, Session>();

  add(record: PeerRecord & { readonly socketId: string }): Session {
    const session: Session = { mesh: record.mesh, peerId: record.peerId, socketId: record.socketId, record };
    this.bySocket.set(record.socketId, session);
    return session;
  }

  delete(session: Session): void {
    if (this.bySocket.get(session.socketId) === session) this.bySocket.delete(session.socketId);
  }

  /** True while `session`'s socket is connected here. */
  live(session: Session): boolean {
    return this.bySocket.get(session.socketId) === session;
  }

  all(): Session[] {
    return [...this.bySocket.values()];
  }

  get size(): number {
    return this.bySocket.size;
  }
}
