/**
 * Telling a submitter where every function of its run stands, as run events: what a submitter that took this
 * coordinator for lost and came back (failover found it alive) missed meanwhile (coordinator.ts `onSubmit`).
 */
import type { MeshPort } from '../mesh/port.js';
import type { WireRunEvent } from '../protocol/messages.js';
import type { RunState } from './run-state.js';

/** Sends `to` the state of every function of `state` as run events (the ones it missed). */
export function replayRunTo(port: MeshPort, to: string, state: RunState): void {
  const run = state.run;
  const post = (event: WireRunEvent): void => {
    port.post(to, { type: 'run:event', runId: run.id, event });
  };
  for (const r of run.records()) {
    const at = r.endedAt ?? r.startedAt ?? Date.now();
    const peer = r.peer ?? port.peerId;
    switch (r.status) {
      case 'queued':
        post({ kind: 'task:queued', id: r.id });
        break;
      case 'running':
        post({ kind: 'task:started', id: r.id, attempt: r.attempts, peer, at });
        break;
      case 'succeeded': {
        const location = run.location(r.id);
        post({
          kind: 'task:succeeded',
          id: r.id,
          attempt: r.attempts,
          peer: location?.holders[0] ?? peer,
          at,
          cached: r.cached === true,
          hash: r.hash,
          size: location?.size ?? 0,
          ...(r.verification && { verification: r.verification }),
        });
        break;
      }
      case 'failed':
        post({
          kind: 'task:failed',
          id: r.id,
          attempt: r.attempts,
          peer,
          at,
          final: true,
          reason: r.error?.reason ?? 'threw',
          message: r.error?.originalMessage ?? 'failed',
          ...(r.verification && { verification: r.verification }),
        });
        break;
      case 'skipped':
        post({ kind: 'task:skipped', id: r.id, because: r.skippedBecause ?? '' });
        break;
      default:
        break;
    }
  }
}
