/**
 * What a coordinator does about a peer that lied: a replica that lost its quorum is logged and announced; a
 * peer that delivered far less than it advertised loses trust like a liar (scheduling/claims.ts); a peer the
 * trust ledger gives up on is quarantined: its work re-runs elsewhere, it gets no more, its holdings are not
 * served.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Outcomes } from './outcomes.js';
import type { ResultDirectory } from './result-directory.js';
import type { RunState } from './run-state.js';
import type { TrustLedger } from './trust-ledger.js';
import type { CoordinatorEvents } from './types.js';
import type { Verification } from './verify.js';

export interface PeerSanctionsDeps {
  readonly log: Logger;
  readonly ledger: TrustLedger;
  readonly directory: ResultDirectory;
  /** Made after the sanctions (they are wired into it), so read when needed. */
  readonly verification: () => Verification;
  readonly outcomes: () => Outcomes;
  /** The runs in flight, each told of a quarantine (a submitter's dashboard marks the peer). */
  readonly runs: () => Iterable<RunState>;
  readonly emit: <E extends keyof CoordinatorEvents>(event: E, payload: CoordinatorEvents[E]) => void;
}

export class PeerSanctions {
  constructor(private readonly deps: PeerSanctionsDeps) {}

  /** A replica's digest lost to the quorum's (verify.ts). */
  disagreed(run: RunState, i: number, peerId: string, digest: string, accepted: string): void {
    this.deps.log.warn(
      `peer '${peerId}' disagreed on function '${run.id(i)}' of run '${run.run.id}': digest ${digest.slice(0, 12)}, quorum ${accepted.slice(0, 12)}`,
      { peer: peerId, run: run.run.id, function: run.id(i) },
    );
    this.deps.emit('verify:disagreed', {
      runId: run.run.id,
      functionId: run.id(i),
      peerId,
      digest,
      accepted,
    });
  }

  contradicted(peerId: string, what: string): void {
    const { log, ledger } = this.deps;
    log.warn(`peer '${peerId}' contradicted its advertised capabilities: ${what}`, { peer: peerId });
    if (!ledger.contradicted(peerId, what)) return;
    this.deps.verification().forgetPeer(peerId);
    this.quarantine(peerId, ledger.record(peerId).quarantineReason ?? what);
  }

  quarantine(peerId: string, reason: string): void {
    this.deps.log.warn(`peer '${peerId}' quarantined: ${reason}`, { peer: peerId, reason });
    this.deps.emit('peer:quarantined', { peerId, reason });
    const at = Date.now();
    for (const run of this.deps.runs()) run.run.noteQuarantined({ peer: peerId, reason, at });
    this.deps.directory.removePeer(peerId);
    this.deps.outcomes().peerLost(peerId, `quarantined: ${reason}`);
  }
}
