/**
 * `AdmissionGate`: the one door of a side (agent or coordinator) for data-channel messages: checks that the
 * sender holds the role each message kind needs (`rules`), using the roles the signaling server admitted it
 * with (MemberDirectory), and hands admitted messages on. A refusal is reported through Refusals (counted,
 * logged with the peer id, answered with a typed `error`) and never reaches a handler.
 *
 * A sender the directory does not know yet is not refused at once: the server tells old members of a new one
 * in a coalesced broadcast (about 100 ms), while the newcomer may already have dialled them and sent its first
 * assignment. Its messages are held (at most HOLD_PER_SENDER, for at most `holdMs`) until the directory knows
 * it, then checked; a sender still unknown after that is refused as `member`.
 */
import type { RefusedError } from '../errors.js';
import type { BatchableMessage } from '../protocol/messages.js';
import type { Role } from '../signaling/contract.js';
import type { MemberDirectory } from './members.js';
import type { Refusals } from './refusals.js';

/**
 * The role each message kind needs on this side (`member`: any member; the handler checks the rest, e.g. a fetch
 * ticket); kinds not listed are not this side's and are ignored.
 */
export type RoleRules = Partial<Record<BatchableMessage['type'], Role | 'member'>>;

const HOLD_PER_SENDER = 1024;
const POLL_MS = 50;

export interface AdmissionGateOptions {
  readonly selfId: string;
  readonly members: MemberDirectory;
  readonly refusals: Refusals;
  readonly rules: RoleRules;
  /** Receives every admitted message of a listed kind. */
  readonly deliver: (from: string, message: BatchableMessage) => void;
  /** Told of every refusal after it was reported (e.g. to answer a refused `dag:submit` so its run ends). */
  readonly onRefused?: (from: string, message: BatchableMessage, error: RefusedError) => void;
  /** How long messages of a not-yet-known sender are held. Default 5000 ms. */
  readonly holdMs?: number;
}

export class AdmissionGate {
  private readonly held = new Map<string, { since: number; messages: BatchableMessage[] }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly options: AdmissionGateOptions) {}

  receive(from: string, message: BatchableMessage): void {
    const needed = this.options.rules[message.type];
    if (needed === undefined) return;
    const { members } = this.options;
    if (from === this.options.selfId || !members.enforced) {
      this.options.deliver(from, message);
      return;
    }
    const waiting = this.held.get(from);
    if (waiting) {
      if (waiting.messages.length >= HOLD_PER_SENDER) {
        this.refuse(from, message, 'member', 'too many messages before it joined');
      } else waiting.messages.push(message);
      return;
    }
    const roles = members.roles(from);
    if (roles === undefined) {
      this.held.set(from, { since: Date.now(), messages: [message] });
      this.schedule();
      return;
    }
    this.check(from, message, needed, roles);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.held.clear();
  }

  private check(
    from: string,
    message: BatchableMessage,
    needed: Role | 'member',
    roles: readonly Role[],
  ): void {
    if (needed === 'member' || roles.includes(needed)) {
      this.options.deliver(from, message);
      return;
    }
    this.refuse(
      from,
      message,
      needed,
      `it needs the '${needed}' role, and the signaling server admitted '${from}' with ${
        roles.length > 0 ? roles.map((r) => `'${r}'`).join(', ') : 'no roles'
      }`,
    );
  }

  private refuse(from: string, message: BatchableMessage, missing: string, detail: string): void {
    const error = this.options.refusals.refuse(message.type, from, missing, detail);
    this.options.onRefused?.(from, message, error);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, POLL_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private release(): void {
    const holdMs = this.options.holdMs ?? 5000;
    const now = Date.now();
    for (const [from, waiting] of [...this.held]) {
      const roles = this.options.members.roles(from);
      if (roles === undefined && now - waiting.since < holdMs) continue;
      this.held.delete(from);
      for (const m of waiting.messages) {
        const needed = this.options.rules[m.type]!;
        if (roles === undefined) {
          this.refuse(from, m, 'member', `'${from}' is not a member of this mesh`);
        } else this.check(from, m, needed, roles);
      }
    }
    if (this.held.size > 0) this.schedule();
  }
}
