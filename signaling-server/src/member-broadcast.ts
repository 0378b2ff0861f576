/**
 * What a mesh's members hear of each flush of MemberUpdates: joins and changes coalesced into one
 * `members:changed` (or, with `coalesceJoins` off, one `peer:joined` per join as older clients expect).
 */
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import { type ConnectionContext, room } from './connection.js';
import type { MemberBatch } from './member-updates.js';
import type { MetricsRecorder } from './metrics.js';
import { peerInfo } from './registry-types.js';
import type { LocalSessions, Session } from './sessions.js';

export function broadcastMembers(
  io: ConnectionContext['io'],
  sessions: LocalSessions,
  recorder: MetricsRecorder,
  coalesceJoins: boolean,
): (mesh: string, batch: MemberBatch<Session>) => void {
  return (mesh, batch) => {
    // Joins go out even if the socket dropped meanwhile (its record waits in the grace window); a change of a
    // peer that left (or was replaced by a new session under its id) since it was marked is skipped.
    const updated = batch.updated.filter((s) => sessions.live(s)).map((s) => peerInfo(s.record));
    const joined = batch.joined.map((s) => peerInfo(s.record));
    if (!coalesceJoins) {
      for (const [i, s] of batch.joined.entries()) {
        io.to(room(mesh))
          .except(s.socketId)
          .emit('peer:joined', joined[i] as PeerInfo);
      }
      recorder.memberBroadcasts += batch.joined.length;
      if (updated.length === 0) return;
      io.to(room(mesh)).emit('members:changed', { updated });
    } else {
      if (updated.length + joined.length === 0) return;
      io.to(room(mesh)).emit('members:changed', { ...(joined.length > 0 && { joined }), updated });
    }
    recorder.memberBroadcasts++;
    recorder.memberBroadcastPeers += updated.length + joined.length;
  };
}
