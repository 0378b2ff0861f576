/**
 * The `peer:status` side of a peer agent: announcing its holdings to coordinators (all at once when it meets a
 * coordinator or one reconnects, then additions and evictions batched over `statusIntervalMs`), and its slots
 * and pause state on change, and the links it measured (link-meter.ts: round trips and bandwidth to the peers it
 * fetches from) when a figure is new or moved, so coordinators know the peer-to-peer links they cannot see.
 */

import type { MeshPort } from '../mesh/port.js';
import { MAX_STATUS_LINKS, type ResultReceipt } from '../protocol/messages.js';
import type { ResultStore } from '../store/types.js';
import type { AgentHoldings } from './holdings.js';
import type { ReceiptBook } from './receipt-book.js';

/** Most hashes per announcement message. */
const ANNOUNCE_CHUNK = 5000;

export interface AgentState {
  readonly running: number;
  readonly slots: number;
  readonly paused: boolean;
}

export interface AgentStatusOptions {
  readonly port: MeshPort;
  readonly store: ResultStore;
  readonly holdings: AgentHoldings;
  /** Receipts shown with the hashes they cover (coordinator/cache-claims.ts). */
  readonly receipts?: ReceiptBook;
  readonly statusIntervalMs: number;
  readonly state: () => AgentState;
  /**
   * Every this many ms, ping the peers fetched from within that time whose round trip is as old (a few at most;
   * link-meter.ts `pingActive`). 0 = never (fetches still measure).
   */
  readonly linkPingIntervalMs: number;
}

export class AgentStatus {
  readonly coordinators = new Set<string>();
  private added: string[] = [];
  /** Own results since the last status, with the coordinator that already knows each (noteStoredFor). */
  private storedFor: { hash: string; coordinator: string }[] = [];
  private removed: string[] = [];
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private lastEvictions = 0;
  private lastCorrupt = 0;
  private readonly offLinks: () => void;
  private readonly pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: AgentStatusOptions) {
    const links = options.port.links;
    this.offLinks = links.onDue(() => this.schedule());
    const every = options.linkPingIntervalMs;
    if (every > 0) {
      // Coordinators measure their own links to this peer (network-probe.ts): no need to ping them too.
      this.pingTimer = setInterval(() => links.pingActive(every, (p) => this.coordinators.has(p)), every);
      (this.pingTimer as { unref?: () => void }).unref?.();
    }
  }

  /** True when `id` was not known as a coordinator before. */
  addCoordinator(id: string): boolean {
    if (this.coordinators.has(id)) return false;
    this.coordinators.add(id);
    return true;
  }

  /**
   * A result of ours that `coordinator` learns of from its completion: the other coordinators hear of it in the
   * next status, so a standby that takes a run over knows what this peer holds (coordinator failover). Nothing
   * to do while this peer knows a single coordinator.
   */
  noteStoredFor(hash: string, coordinator: string): void {
    if (this.coordinators.size < 2 && this.coordinators.has(coordinator)) return;
    this.storedFor.push({ hash, coordinator });
    this.schedule();
  }

  /** A stored hash the coordinators cannot know of. */
  noteAdded(hash: string): void {
    this.added.push(hash);
    this.schedule();
  }

  /** Sends the full list of held hashes to a coordinator (so its cache lookups find them). */
  async announce(coordinatorId: string): Promise<void> {
    const { port, store, holdings } = this.options;
    this.addCoordinator(coordinatorId);
    let keys: string[] = [];
    try {
      keys = await store.keys();
    } catch {
      keys = [];
    }
    for (const k of keys) holdings.announced.add(k);
    const links = port.links.all(MAX_STATUS_LINKS);
    const base = {
      type: 'peer:status' as const,
      ...this.options.state(),
      ...(links.length > 0 && { links }),
    };
    if (keys.length === 0) {
      await port.send(coordinatorId, base);
      return;
    }
    for (let i = 0; i < keys.length; i += ANNOUNCE_CHUNK) {
      const added = keys.slice(i, i + ANNOUNCE_CHUNK);
      await port.send(coordinatorId, { ...base, added, ...this.receiptsFor(added) });
    }
  }

  /** Something changed: send a status within `statusIntervalMs`. */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.statusIntervalMs);
  }

  /**
   * Something the coordinators must hear at once (paused, resumed): sent now, not within `statusIntervalMs`,
   * so a coordinator does not keep placing work on a peer that would only hand it back.
   */
  urgent(): void {
    this.dirty = true;
    void this.flush();
  }

  /** Sends the pending status now. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.dirty) return;
    this.dirty = false;
    await this.detectEvictions();
    const { port } = this.options;
    const links = port.links.takeDue(MAX_STATUS_LINKS);
    const message = {
      type: 'peer:status' as const,
      ...this.options.state(),
      ...(this.added.length > 0 && { added: this.added }),
      ...(this.removed.length > 0 && { removed: this.removed }),
      ...(links.length > 0 && { links }),
    };
    const storedFor = this.storedFor;
    this.added = [];
    this.removed = [];
    this.storedFor = [];
    for (const c of this.coordinators) {
      const others = storedFor.filter((s) => s.coordinator !== c).map((s) => s.hash);
      const added = others.length === 0 ? message.added : [...(message.added ?? []), ...others];
      port.post(c, added === undefined ? message : { ...message, added, ...this.receiptsFor(added) });
    }
    if (port.links.hasDue) this.schedule(); // more than one message holds
  }

  stop(): void {
    this.stopped = true;
    this.offLinks();
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** `{ receipts }` for those of `hashes` that have one, or nothing. */
  private receiptsFor(hashes: readonly string[]): { receipts?: ResultReceipt[] } {
    const receipts = this.options.receipts?.for(hashes) ?? [];
    return receipts.length > 0 ? { receipts } : {};
  }

  /** Stores do not report evictions one by one; when a counter moved, diff the keys against what we announced. */
  private async detectEvictions(): Promise<void> {
    const { store, holdings } = this.options;
    try {
      const stats = await store.stats();
      // Both counters only grow: a change since the last look is what says keys may have gone.
      if (stats.evictions === this.lastEvictions && stats.corrupt === this.lastCorrupt) return;
      this.lastEvictions = stats.evictions;
      this.lastCorrupt = stats.corrupt;
      const now = new Set(await store.keys());
      for (const hash of holdings.announced) {
        if (!now.has(hash) && !holdings.isWriting(hash)) {
          holdings.announced.delete(hash);
          this.removed.push(hash);
          holdings.forget(hash);
          this.options.receipts?.forget(hash);
        }
      }
    } catch {
      // A closed or failing store: nothing to report.
    }
  }
}
