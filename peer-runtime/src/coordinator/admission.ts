/**
 * The coordinator's door: every message the coordinator acts on passes here first. The sender's roles are the
 * signaling server's word (MemberDirectory), never the message's:
 *
 * | message                                     | needs                                                        |
 * | ------------------------------------------- | ------------------------------------------------------------ |
 * | `dag:submit`, `run:cancel`, `result:recover` | `submit` (and a run is only ever the submitter's own: runs    |
 * |                                             | are keyed by submitter and run id)                           |
 * | `task:result`, `task:failed`, `task:output`  | `contribute`, then an assignment of that very attempt to that |
 * |                                             | very peer under that run, for that hash (outcomes.ts)         |
 * | `peer:status`                               | `contribute`; announced hashes count only where they can be   |
 * |                                             | checked (coordinator.ts `onStatus`)                           |
 *
 * A refused `dag:submit` is also answered with `run:rejected`, so the sender's run ends instead of waiting.
 */
import { AdmissionGate, type RoleRules } from '../mesh/admission-gate.js';
import type { MemberDirectory } from '../mesh/members.js';
import type { MeshPort } from '../mesh/port.js';
import type { Refusals } from '../mesh/refusals.js';
import type { BatchableMessage } from '../protocol/messages.js';

export const COORDINATOR_RULES: RoleRules = {
  'dag:submit': 'submit',
  'run:cancel': 'submit',
  'result:recover': 'submit',
  'task:result': 'contribute',
  'task:failed': 'contribute',
  'task:output': 'contribute',
  'peer:status': 'contribute',
};

export interface CoordinatorAdmissionOptions {
  readonly port: MeshPort;
  readonly members: MemberDirectory;
  readonly refusals: Refusals;
  readonly deliver: (from: string, message: BatchableMessage) => void;
}

export function createCoordinatorAdmission(options: CoordinatorAdmissionOptions): AdmissionGate {
  const { port } = options;
  return new AdmissionGate({
    selfId: port.peerId,
    members: options.members,
    refusals: options.refusals,
    rules: COORDINATOR_RULES,
    deliver: options.deliver,
    onRefused: (from, message, error) => {
      if (message.type !== 'dag:submit') return;
      port.post(from, {
        type: 'run:event',
        runId: message.runId,
        event: { kind: 'run:rejected', message: error.message },
      });
    },
  });
}
