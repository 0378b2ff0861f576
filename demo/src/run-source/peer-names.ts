/**
 * Names of peers for people. A peer's id is a name when its token had a subject (`node-1`, `alice-laptop`);
 * otherwise the server made one up (a UUID or a long hex string), which nobody can tell apart when cut to ten
 * characters. Such peers are named by platform and order of arrival ("browser peer 2"), stable for the page's
 * life; the id stays available on hover. A label the peer was given (runtime-extras.ts) wins over both.
 */
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import { peerGivenLabel } from '../run-model/runtime-extras.js';

/** Ids that look generated: UUIDs, long hex or base64url runs, or anything over 24 characters. */
export function looksGenerated(id: string): boolean {
  return (
    id.length > 24 ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ||
    /^[0-9a-f]{12,}$/i.test(id) ||
    (/^[A-Za-z0-9_-]{16,}$/.test(id) && /\d/.test(id) && /[a-z]/.test(id) && /[A-Z]/.test(id))
  );
}

export class PeerNames {
  private readonly names = new Map<string, string>();
  private readonly perPlatform = new Map<string, number>();

  /** The name of a peer, fixed the first time it is asked for (so it never changes under a person's eyes). */
  nameOf(info: PeerInfo): string {
    const given = peerGivenLabel(info);
    if (given) return given;
    let name = this.names.get(info.peerId);
    if (name === undefined) {
      if (looksGenerated(info.peerId)) {
        const platform = info.capabilities.platform;
        const n = (this.perPlatform.get(platform) ?? 0) + 1;
        this.perPlatform.set(platform, n);
        name = `${platform} peer ${n}`;
      } else name = info.peerId;
      this.names.set(info.peerId, name);
    }
    return name;
  }

  /** The name of a lane: a known peer's name, else the id shortened. */
  laneName(lane: string): string {
    return this.names.get(lane) ?? (lane.length > 14 ? `${lane.slice(0, 12)}…` : lane);
  }
}
