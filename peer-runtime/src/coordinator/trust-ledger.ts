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
  /**
   * Advertised capabilities its delivery contradicted (scheduling/claims.ts), each counted once per kind; each
   * also counts as a disagreement (a peer that lies about its speed is scored down like one that lies about
   * values).
   */
  readonly contradictions?: number;
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
  private readonly listeners = new Set<() => void>();

  constructor(options: TrustLedgerOptions = {}) {
    this.maxDisagreements = options.maxDisagreements ?? 2;
  }

  record(peer: string): TrustRecord {
    return this.records.get(peer) ?? EMPTY;
  }

  agreed(peer: string): void {
    const r = this.record(peer);
    this.records.set(peer, { ...r, agreements: r.agreements + 1, streak: r.streak + 1 });
    this.changed();
  }

  /** Records a lost quorum; returns true when this quarantined the peer (it was not before). */
  disagreed(peer: string, now = Date.now()): boolean {
    return this.strike(peer, now, false, '');
  }

  /**
   * Records a capability claim its delivery contradicted (`what`, e.g. "speed 1000000 advertised, 0.9
   * measured"): it counts as a disagreement. Returns true when this quarantined the peer.
   */
  contradicted(peer: string, what: string, now = Date.now()): boolean {
    return this.strike(peer, now, true, what);
  }

  private strike(peer: string, now: number, contradiction: boolean, what: string): boolean {
    const r = this.record(peer);
    const disagreements = r.disagreements + 1;
    const contradictions = (r.contradictions ?? 0) + (contradiction ? 1 : 0);
    const quarantine = r.quarantinedAt === undefined && disagreements >= this.maxDisagreements;
    const lost = disagreements - contradictions;
    const why = [
      ...(lost > 0 ? [`its results disagreed with the quorum ${lost} times (${r.agreements} agreed)`] : []),
      ...(contradictions > 0
        ? [
            `its delivery contradicted its advertised capabilities ${contradictions} times${what && ` (${what})`}`,
          ]
        : []),
    ].join('; ');
    this.records.set(peer, {
      ...r,
      disagreements,
      streak: 0,
      ...(contradictions > 0 && { contradictions }),
      ...(quarantine && { quarantinedAt: now, quarantineReason: why }),
    });
    this.changed();
    return quarantine;
  }

  /** Calls `listener` after every change of a record (ledger-store.ts saves then); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
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
    this.changed();
  }
}
