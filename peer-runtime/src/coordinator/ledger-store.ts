/**
 * Keeping the trust ledger (trust-ledger.ts) across coordinator restarts: a quarantined liar that waits for the
 * coordinator to restart must find itself still quarantined. The ledger is loaded before the coordinator takes
 * any work, and saved (the whole ledger, replacing the previous file) at most every `saveEveryMs` after a
 * change, and once more on close. Where it lives is the platform's (`LedgerPersistence`): on Node a
 * `trust-ledger.json` in the coordinator's cache directory (platform/json-files.node.ts); browsers keep none.
 *
 * What a restart can lose: the changes of the last `saveEveryMs` before a crash (a SIGKILL), e.g. the lost quorum
 * that would have quarantined a liar; it is then quarantined at its next one. A clean close saves everything.
 */
import type { TrustLedger, TrustRecord } from './trust-ledger.js';

/** Where the ledger is saved: one JSON value replaced whole (the platform's JsonFile fits). */
export interface LedgerPersistence {
  /** Where the ledger lives, for logs and docs (a file path on Node). */
  readonly path: string;
  /** What was saved before (undefined when none, or damaged: reported by the persistence, not fatal). */
  load(): Promise<unknown>;
  /** Replaces what was saved. Never throws (a failed write is reported by the persistence itself). */
  save(value: unknown): void;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** The saved form: `{ version: 1, records: { [peerId]: TrustRecord } }`. */
const VERSION = 1;

export interface LedgerStoreOptions {
  /** Most often the ledger is written after changes. Default 250 ms. */
  readonly saveEveryMs?: number;
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A saved record as far as it can be believed: counts that are counts, or nothing (that peer starts clean). */
export function savedRecord(value: unknown): TrustRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (!count(r.agreements) || !count(r.disagreements) || !count(r.streak)) return undefined;
  const quarantinedAt = typeof r.quarantinedAt === 'number' ? r.quarantinedAt : undefined;
  return {
    agreements: r.agreements,
    disagreements: r.disagreements,
    streak: r.streak,
    ...(count(r.contradictions) && r.contradictions > 0 && { contradictions: r.contradictions }),
    ...(quarantinedAt !== undefined && {
      quarantinedAt,
      quarantineReason: typeof r.quarantineReason === 'string' ? r.quarantineReason : 'quarantined before',
    }),
  };
}

/** A ledger bound to its persistence: loaded now, saved after changes. */
export class LedgerStore {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly off: () => void;
  private closed = false;

  private constructor(
    private readonly ledger: TrustLedger,
    private readonly persistence: LedgerPersistence,
    private readonly saveEveryMs: number,
  ) {
    this.off = ledger.onChange(() => this.schedule());
  }

  /** Loads the saved records into `ledger` (saved ones replace what it has), then saves after each change. */
  static async open(
    ledger: TrustLedger,
    persistence: LedgerPersistence,
    options: LedgerStoreOptions = {},
  ): Promise<LedgerStore> {
    const saved = (await persistence.load()) as { version?: unknown; records?: unknown } | undefined;
    const records: Record<string, TrustRecord> = Object.create(null);
    const found =
      saved?.version === VERSION && typeof saved.records === 'object' && saved.records !== null
        ? saved.records
        : {};
    for (const [peer, value] of Object.entries(found)) {
      const r = savedRecord(value);
      if (r) records[peer] = r;
    }
    ledger.restore(records);
    const store = new LedgerStore(ledger, persistence, options.saveEveryMs ?? 250);
    // restore() announced a change before anyone listened: nothing new to write.
    return store;
  }

  get path(): string {
    return this.persistence.path;
  }

  /** Saves now if anything changed, stops listening, waits for the write. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.off();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.persistence.save({ version: VERSION, records: this.ledger.snapshot() });
    }
    await this.persistence.close();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.persistence.save({ version: VERSION, records: this.ledger.snapshot() });
    }, this.saveEveryMs);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
