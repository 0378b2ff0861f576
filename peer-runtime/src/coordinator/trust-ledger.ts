/**
 * The coordinator's record of each contributor's verified answers (BOINC's per-host reliability): how often its
 * result agreed with a quorum and how often it lost one, and from that whether it is quarantined (no more work,
 * its cached results not served, its cache announcements ignored) and whether it has earned spot checks instead
 * of full replication.
 *
 * Keyed by peer id. Peer ids are bound to token subjects by the signaling server (`sub`), so a liar that
 * reconnects under the same token is the same record; a liar with a fresh token starts clean but with a new
 * peer's full replication (trust is earned, see `clean`). `snapshot()` / `restore()` let a coordinator keep the
 * ledger across restarts.
 */

export interface TrustRecord {
  /** Answers that agreed with an accepted quorum. */
  readonly agreements: number;
  /** Answers that lost a quorum (a different digest from the accepted one). */
  readonly disagreements: number;
  /** Agreements since the last disagreement: the clean streak spot checks are earned with. */
  readonly streak: number;
  /** When it was quarantined (epoch ms), if it is. */
  readonly quarantinedAt?: number;
  /** Why, for records and the dashboard. */
  readonly quarantineReason?: string;
}

export interface TrustLedgerOptions {
  /**
   * Lost quorums after which a peer is quarantined, whatever its agreements: a forged answer is never an honest
   * mistake for a deterministic function, but a bit flip or a buggy runtime can be, so one is forgiven. Default 2.
   */
  readonly maxDisagreements?: number;
}

const EMPTY: TrustRecord = { agreements: 0, disagreements: 0, streak: 0 };

export class TrustLedger {
  private readonly records = new Map<string, TrustRecord>();
  private readonly maxDisagreements: number;

  constructor(options: TrustLedgerOptions = {}) {
    this.maxDisagreements = options.maxDisagreements ?? 2;
  }

  record(peer: string): TrustRecord {
    return this.records.get(peer) ?? EMPTY;
  }

  agreed(peer: string): void {
    const r = this.record(peer);
    this.records.set(peer, { ...r, agreements: r.agreements + 1, streak: r.streak + 1 });
  }

  /** Records a lost quorum; returns true when this quarantined the peer (it was not before). */
  disagreed(peer: string, now = Date.now()): boolean {
    const r = this.record(peer);
    const disagreements = r.disagreements + 1;
    const quarantine = r.quarantinedAt === undefined && disagreements >= this.maxDisagreements;
    this.records.set(peer, {
      ...r,
      disagreements,
      streak: 0,
      ...(quarantine && {
        quarantinedAt: now,
        quarantineReason: `its results disagreed with the quorum ${disagreements} times (${r.agreements} agreed)`,
      }),
    });
    return quarantine;
  }

  quarantined(peer: string): boolean {
    return this.records.get(peer)?.quarantinedAt !== undefined;
  }

  /** A clean streak of at least `trustAfter` agreed answers: such a peer is spot-checked, not always replicated. */
  clean(peer: string, trustAfter: number): boolean {
    const r = this.records.get(peer);
    return r !== undefined && r.quarantinedAt === undefined && r.streak >= trustAfter;
  }

  /** Every record, for persistence and the dashboard. */
  snapshot(): Record<string, TrustRecord> {
    return Object.fromEntries(this.records);
  }

  /** Takes back a snapshot (records of peers it names replace the current ones). */
  restore(snapshot: Readonly<Record<string, TrustRecord>>): void {
    for (const [peer, r] of Object.entries(snapshot)) this.records.set(peer, { ...r });
  }
}
