/**
 * When a remote run's submitter is gone, and so its runs are cancelled (nobody would fetch their results).
 *
 * The membership saying a submitter left is not enough: after a signaling-server restart (or a cut of its
 * signaling socket alone) a submitter that reconnects later than the server's grace window plus the client's
 * slack is reported left ('lost'), although its data channel — which never needed the signaling server — still
 * carries its pings and its run's events. Cancelling then threw away a run the submitter was following (chaos
 * seeds under load: the run ended cancelled and results were lost with a SIGKILLed holder). So a submitter the
 * membership lost keeps its runs while its open channel answers a ping (the transport does the same for its
 * links, framed-transport.ts `markGone`); its runs are cancelled when that ping fails, when it had no open
 * channel, or when its channel closes later while the membership still does not list it.
 */
import type { MembershipSource } from '../mesh/membership.js';
import type { Transport } from '../transport/types.js';

/** What it needs of the run registry (run-registry.ts): the running runs, each with its submitter. */
export interface SubmittedRuns {
  values(): Iterable<{ readonly submitter?: string; readonly run: { cancel(reason: string): void } }>;
}

export interface SubmitterWatchParts {
  readonly transport: Pick<Transport, 'connections' | 'ping'>;
  readonly membership: Pick<MembershipSource, 'peers'>;
  readonly runs: SubmittedRuns;
  readonly closed: () => boolean;
}

export class SubmitterWatch {
  constructor(private readonly parts: SubmitterWatchParts) {}

  /** The membership reports `peerId` left. */
  left(peerId: string): void {
    if (!this.hasRuns(peerId)) return;
    const { transport } = this.parts;
    const open = transport.connections().some((c) => c.peerId === peerId && c.state === 'open');
    if (!open) {
      this.cancelRuns(peerId, `its submitter '${peerId}' left the mesh`);
      return;
    }
    transport.ping(peerId).then(
      () => {}, // it answers over its channel: it follows its runs (a later close is `disconnected`)
      () => {
        if (this.listed(peerId)) return; // it rejoined: its channel is redialled on its next message
        this.cancelRuns(peerId, `its submitter '${peerId}' left the mesh and does not answer`);
      },
    );
  }

  /** The channel to `peerId` closed or failed: a submitter the membership does not list any more is gone. */
  disconnected(peerId: string): void {
    if (!this.hasRuns(peerId) || this.listed(peerId)) return;
    this.cancelRuns(peerId, `its submitter '${peerId}' left the mesh and its connection closed`);
  }

  private listed(peerId: string): boolean {
    return this.parts.membership.peers().some((m) => m.peerId === peerId);
  }

  private hasRuns(peerId: string): boolean {
    for (const state of this.parts.runs.values()) if (state.submitter === peerId) return true;
    return false;
  }

  private cancelRuns(peerId: string, reason: string): void {
    if (this.parts.closed()) return;
    for (const state of [...this.parts.runs.values()])
      if (state.submitter === peerId) state.run.cancel(reason);
  }
}
