/**
 * The agent's door: every message a peer agent acts on passes here first (the one place to audit what a peer
 * agent believes). Roles come from the signaling server's word about the sender (MemberDirectory), never from
 * the message:
 *
 * | message       | needs                                                                              |
 * | ------------- | ---------------------------------------------------------------------------------- |
 * | `task:assign` | the sender holds `coordinate`; it becomes the coordinator of that run on this peer |
 * | `task:cancel` | `coordinate`; it reaches only tasks that same coordinator assigned (tasks are keyed |
 * |               | by coordinator, run and function: task.ts), so one coordinator cannot stop another's |
 * | `result:fetch`| membership, then a fetch ticket for that hash and fetcher (fetch-grants.ts)          |
 * | `result:receipts` | `coordinate` (kept beside the cache, shown to coordinators: receipt-book.ts)  |
 *
 * Holdings (`peer:status` added/removed) go only to members holding `coordinate` (`mayAnnounceTo`).
 * Everything else is not the agent's to act on and is ignored here (the coordinator, or the port's fetch replies,
 * have their own doors).
 */
import { AdmissionGate, type RoleRules } from '../mesh/admission-gate.js';
import type { GrantChecker } from '../mesh/fetch-grants.js';
import type { MemberDirectory } from '../mesh/members.js';
import type { MeshPort } from '../mesh/port.js';
import type { Refusals } from '../mesh/refusals.js';
import type { BatchableMessage, ResultFetchMessage } from '../protocol/messages.js';

export const AGENT_RULES: RoleRules = {
  'task:assign': 'coordinate',
  'task:cancel': 'coordinate',
  'result:fetch': 'member',
  'result:receipts': 'coordinate',
};

export interface AgentAdmissionOptions {
  readonly port: MeshPort;
  readonly members: MemberDirectory;
  readonly refusals: Refusals;
  readonly deliver: (from: string, message: BatchableMessage) => void;
  /** Checks fetch tickets with this member's fetch key; undefined (no key): fetches are served to any member. */
  readonly grants?: GrantChecker;
}

export class AgentAdmission {
  private readonly gate: AdmissionGate;

  constructor(private readonly options: AgentAdmissionOptions) {
    this.gate = new AdmissionGate({
      selfId: options.port.peerId,
      members: options.members,
      refusals: options.refusals,
      rules: AGENT_RULES,
      deliver: options.deliver,
    });
  }

  receive(from: string, message: BatchableMessage): void {
    this.gate.receive(from, message);
  }

  /**
   * Whether a `result:fetch` may be served: from this peer itself, from a coordinator (it holds the mesh key
   * and could mint itself a ticket anyway), or with a valid ticket for that hash and that fetcher. A refusal is
   * reported here; the caller answers `result:missing`.
   */
  mayServe(from: string, message: ResultFetchMessage): boolean {
    const { grants, members, port } = this.options;
    if (!grants || from === port.peerId) return true;
    if (members.roles(from)?.includes('coordinate')) return true;
    const verdict = grants.check(message.hash, from, message.ticket);
    if (verdict === 'ok') return true;
    this.options.refusals.refuse(
      'result:fetch',
      from,
      'ticket',
      `hash ${message.hash}: ${
        verdict === 'missing'
          ? 'no ticket (a coordinator grants fetches with assignments and run events)'
          : verdict === 'expired'
            ? 'its ticket expired'
            : `its ticket was not issued for this hash and peer '${from}'`
      }`,
    );
    return false;
  }

  /** Holdings are told only to coordinators: anyone else could use them to pick hashes to ask for. */
  mayAnnounceTo(peerId: string): boolean {
    const { members, port } = this.options;
    if (peerId === port.peerId || !members.enforced) return true;
    return members.roles(peerId)?.includes('coordinate') === true;
  }

  close(): void {
    this.gate.close();
  }
}
