/**
 * How the coordinator follows the mesh: every message goes through admission (admission.ts) and marks its sender
 * heard; a connection that opens is measured (network-probe.ts); one that closes or fails loses its peer's work
 * and is redialled; members that join or update are registered (peer-roster.ts); a member that leaves loses its
 * work and its measurements, and a submitter that left and does not answer its runs (submitter-watch.ts).
 * Returns the unsubscribe functions.
 */
import type { AdmissionGate } from '../mesh/admission-gate.js';
import type { MembershipSource } from '../mesh/membership.js';
import type { MeshPort } from '../mesh/port.js';
import type { CapacityClaims } from '../scheduling/claims.js';
import type { Transport } from '../transport/types.js';
import type { NetworkProbe } from './network-probe.js';
import type { Outcomes } from './outcomes.js';
import type { PeerLoads } from './peer-loads.js';
import type { PeerRoster } from './peer-roster.js';
import type { Reachability } from './reachability.js';
import type { RemoteLineage } from './remote-lineage.js';
import type { RunRegistry } from './run-registry.js';
import { SubmitterWatch } from './submitter-watch.js';

export interface MeshWatchParts {
  readonly port: MeshPort;
  readonly transport: Transport;
  readonly membership: MembershipSource | undefined;
  readonly loads: PeerLoads;
  readonly admission: AdmissionGate;
  readonly probe: NetworkProbe;
  readonly reachability: Reachability;
  readonly claims: CapacityClaims | undefined;
  readonly roster: PeerRoster;
  readonly outcomes: Outcomes;
  readonly remoteLineage: RemoteLineage;
  readonly runs: RunRegistry;
  readonly closed: () => boolean;
}

export function watchMesh(parts: MeshWatchParts): (() => void)[] {
  const {
    port,
    transport,
    membership,
    loads,
    admission,
    probe,
    reachability,
    claims,
    roster,
    outcomes,
    remoteLineage,
    runs,
    closed,
  } = parts;
  const cleanups: (() => void)[] = [];
  const submitters = membership && new SubmitterWatch({ transport, membership, runs, closed });
  cleanups.push(
    port.onMessage((from, message) => {
      if (closed()) return;
      const load = loads.get(from);
      if (load) load.lastHeard = Date.now();
      admission.receive(from, message);
    }),
  );
  cleanups.push(() => admission.close());
  cleanups.push(() => probe.close());
  // Latency to each peer, measured as its connection opens (network-probe.ts).
  cleanups.push(
    transport.on('peer:connected', ({ peerId }) => {
      if (!closed()) void probe.measure(peerId);
    }),
  );
  cleanups.push(
    port.onDisconnect((peerId, reason) => {
      if (reason !== 'remote-closed' && reason !== 'failed' && reason !== 'protocol-error') return;
      submitters?.disconnected(peerId);
      if (!loads.get(peerId)) return;
      outcomes.peerLost(peerId, `its connection ${reason === 'failed' ? 'failed' : 'closed'}`);
      // Gone for good, or a blip? If it answers again and is still a member, it comes back (without its cache).
      roster.reconnect(peerId);
    }),
  );
  if (membership) {
    for (const m of membership.peers()) roster.register(m);
    cleanups.push(
      membership.on('peer:joined', (m) => {
        // Joined again, perhaps from another network: what it could not reach before may work now.
        reachability.forgetPeer(m.peerId);
        roster.register(m);
      }),
    );
    cleanups.push(membership.on('peer:updated', (m) => roster.register(m)));
    cleanups.push(
      membership.on('peer:left', ({ peerId }) => {
        probe.forget(peerId);
        reachability.forgetPeer(peerId);
        claims?.forget(peerId);
        roster.forget(peerId);
        outcomes.peerLost(peerId, 'it left the mesh');
        remoteLineage.forget(peerId);
        submitters?.left(peerId);
      }),
    );
  }
  return cleanups;
}
