/**
 * Which peers cannot reach which: pairs learned from `task:failed` (`unreachable`: the worker could open no link
 * to an input's holder, with why: ICE failed, timed out, ...). Two peers behind separate NATs with no TURN server
 * are the usual case; the coordinator reaches both, so only the peers can tell.
 *
 * The dispatcher reads it to stop placing a function on a peer that cannot reach any holder of one of its
 * inputs (`blockedBy`). Pairs expire (`ttlMs`, default 5 min) and a peer's pairs are forgotten when it leaves or
 * rejoins: networks change (a TURN server configured, a peer moved), and a stale refusal must not pin work away
 * for ever.
 */
import type { UnreachableHolder } from '../protocol/messages.js';

export interface UnreachablePair {
  readonly failure: UnreachableHolder['failure'];
  readonly at: number;
}

/** What the dispatcher needs to know of one input to decide whether a peer can have it. */
export interface ReachableInput {
  /** The producer's function id, for messages. */
  readonly producer: string;
  readonly holders: readonly string[];
  /** The bytes ride in the assignment: no peer needs a link for it. */
  readonly inline: boolean;
}

/** One input a peer cannot have: every holder is unreachable from it. */
export interface BlockedInput {
  readonly producer: string;
  readonly holders: readonly { readonly peer: string; readonly failure: string }[];
}

export class Reachability {
  private readonly pairs = new Map<string, Map<string, UnreachablePair>>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    let n = 0;
    for (const m of this.pairs.values()) n += m.size;
    return n;
  }

  /** `from` could not open a link to `to`. */
  noteUnreachable(from: string, to: string, failure: UnreachablePair['failure']): void {
    let m = this.pairs.get(from);
    if (!m) {
      m = new Map();
      this.pairs.set(from, m);
    }
    m.set(to, { failure, at: this.now() });
  }

  /** The failure recorded for `from` → `to` while it is fresh, else undefined (reachable as far as we know). */
  unreachable(from: string, to: string): UnreachablePair | undefined {
    const p = this.pairs.get(from)?.get(to);
    if (!p) return undefined;
    if (this.now() - p.at > this.ttlMs) {
      this.pairs.get(from)?.delete(to);
      return undefined;
    }
    return p;
  }

  /** Forgets every pair `peerId` is in (it left, or joined again from what may be another network). */
  forgetPeer(peerId: string): void {
    this.pairs.delete(peerId);
    for (const m of this.pairs.values()) m.delete(peerId);
  }

  /**
   * The first input `peer` cannot have (not inline, not held by `peer`, every holder unreachable from it), or
   * undefined when it can have them all.
   */
  blockedBy(peer: string, inputs: readonly ReachableInput[]): BlockedInput | undefined {
    if (this.pairs.size === 0 || !this.pairs.has(peer)) return undefined;
    for (const input of inputs) {
      if (input.inline || input.holders.length === 0 || input.holders.includes(peer)) continue;
      const holders: { peer: string; failure: string }[] = [];
      for (const h of input.holders) {
        const p = this.unreachable(peer, h);
        if (!p) break;
        holders.push({ peer: h, failure: p.failure });
      }
      if (holders.length === input.holders.length) return { producer: input.producer, holders };
    }
    return undefined;
  }
}

/** `peer 'b' cannot reach the holders of input 'big' ('a': ice-failed)`. */
export function describeBlocked(peer: string, blocked: BlockedInput): string {
  const holders = blocked.holders.map((h) => `'${h.peer}': ${h.failure}`).join(', ');
  return `peer '${peer}' cannot reach the holders of input '${blocked.producer}' (${holders})`;
}
