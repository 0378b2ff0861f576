/**
 * What `handout peer` logs while it is a member: joins and leaves, the coordinator's verdicts, fresh TURN
 * credentials (by expiry, never the password), and how each link connected or why it dropped.
 */
import { describeLinkPath, type MeshPeer } from '@handout/peer-runtime/peer';

/** One milestone: `event` names it for programs reading JSON lines; `text` is what a terminal shows. */
export type PeerLog = (event: string, fields: Record<string, unknown>, text: string) => void;

export function logPeerEvents(peer: MeshPeer, log: PeerLog): void {
  peer.signaling.on('peer:joined', (p) =>
    log(
      'peer:joined',
      { peerId: p.peerId, roles: p.roles },
      `peer '${p.peerId}' joined (${p.roles.join(', ')})`,
    ),
  );
  peer.signaling.on('peer:left', (m) =>
    log('peer:left', { peerId: m.peerId, reason: m.reason }, `peer '${m.peerId}' left (${m.reason})`),
  );
  peer.coordinator?.on('peer:lost', ({ peerId, reason }) =>
    log('peer:lost', { peerId, reason }, `coordinator: peer '${peerId}' lost: ${reason}`),
  );
  peer.coordinator?.on('peer:quarantined', ({ peerId, reason }) =>
    log('peer:quarantined', { peerId, reason }, `coordinator: peer '${peerId}' quarantined: ${reason}`),
  );
  peer.coordinator?.on('verify:disagreed', ({ runId, functionId, peerId, digest, accepted }) =>
    log(
      'verify:disagreed',
      { runId, functionId, peerId, digest, accepted },
      `coordinator: peer '${peerId}' disagreed on function '${functionId}' (digest ${digest.slice(0, 12)}, quorum ${accepted.slice(0, 12)})`,
    ),
  );
  peer.coordinator?.on('task:waiting', ({ functionId, unmet }) =>
    log(
      'task:waiting',
      { functionId, unmet },
      `coordinator: function '${functionId}' waits for a peer with ${unmet}`,
    ),
  );

  // Fresh TURN credentials from the signaling server (every half TTL): logged by expiry, never the password.
  peer.signaling.on('ice:renewed', (servers) => {
    const expires = servers.flatMap((s) => {
      const expiry = Number(s.username?.split(':')[0]);
      return Number.isSafeInteger(expiry) ? [expiry] : [];
    });
    log(
      'ice:renewed',
      { expires },
      `fresh TURN credentials${expires.length > 0 ? ` (valid until ${new Date(Math.min(...expires) * 1000).toISOString()})` : ''}`,
    );
  });

  // How each link connected (host, srflx, relay) and why one dropped: the first things to read when peers behind
  // NATs do not reach each other (docs/deploy.md).
  peer.transport.on('peer:connected', ({ peerId, path }) =>
    log(
      'link:open',
      { peerId, path: path ?? null },
      `link to '${peerId}' open (${path ? describeLinkPath(path) : 'path unknown'})`,
    ),
  );
  peer.transport.on('peer:disconnected', ({ peerId, reason, error }) =>
    log(
      'link:closed',
      { peerId, reason, ...(error && { error: error.message }) },
      `link to '${peerId}' closed (${reason}${error ? `: ${error.message}` : ''})`,
    ),
  );
}
