/**
 * Where each message a coordinator accepts goes, once admission.ts let it in (who may send what is decided
 * there, not here): answers to outcomes, live output to the relay, status to the roster, submissions to intake,
 * cancellations and recoveries to the runs they name.
 */
import type { BatchableMessage } from '../protocol/messages.js';
import type { Outcomes } from './outcomes.js';
import type { OutputRelay } from './output-relay.js';
import type { PeerRoster } from './peer-roster.js';
import type { RemoteLineage } from './remote-lineage.js';
import type { RunIntake } from './run-intake.js';
import type { RunRegistry } from './run-registry.js';

export interface MessageRoutes {
  readonly outcomes: Outcomes;
  readonly outputRelay: OutputRelay;
  readonly roster: PeerRoster;
  readonly intake: RunIntake;
  readonly runs: RunRegistry;
  readonly remoteLineage: RemoteLineage;
}

export function routeMessage(to: MessageRoutes, from: string, message: BatchableMessage): void {
  switch (message.type) {
    case 'task:result':
      to.outcomes.onResult(from, message);
      return;
    case 'task:failed':
      to.outcomes.onFailed(from, message);
      return;
    case 'task:output':
      to.outputRelay.receive(from, message);
      return;
    case 'peer:status':
      to.roster.onStatus(from, message);
      return;
    case 'dag:submit':
      to.intake.receive(from, message);
      return;
    case 'run:cancel':
      // A run still being taken in (run-intake.ts) is cancelled once it exists.
      if (!to.intake.cancelPending(from, message.runId, message.reason))
        to.runs.remoteRun(from, message.runId)?.run.cancel(message.reason);
      return;
    case 'result:recover':
      void to.remoteLineage.answer(from, message);
      return;
    default:
      return;
  }
}
