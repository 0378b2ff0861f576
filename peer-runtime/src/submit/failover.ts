/**
 * Which coordinator a run moves to when its own is lost (submit-remote.ts): the first of the membership's
 * coordinate members, in the caller's order of preference, that the run has not lost. A lost coordinator becomes
 * eligible again when it answers a ping, or once the membership stopped listing it and lists it again: either is
 * a restarted process under the same id (a fresh coordinator; a SIGKILLed one never answers), or one that was
 * only too slow and got the run's `run:cancel` before it gets the run again. The search looks every `retryMs`
 * until `windowMs` has passed since the first loss it was asked about, then gives up.
 */

export interface FailoverOptions {
  /** The coordinate members to choose from, best first, as the membership lists them now (asked on every look). */
  readonly candidates: () => readonly string[];
  /** Subscribes to departures from the membership: a coordinator that left the mesh is lost at once. Optional. */
  readonly onMemberLeft?: (listener: (peerId: string) => void) => () => void;
  /** How long to look for another coordinator before the run fails. Default 30 000 ms. */
  readonly windowMs?: number;
  /** How often to look again while none is found. Default 250 ms. */
  readonly retryMs?: number;
}

export class CoordinatorSearch {
  private readonly lostIds = new Set<string>();
  /** Lost coordinators the membership stopped listing since: listed again, they are new processes. */
  private readonly absentSince = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private startedAt: number | undefined;
  private stopped = false;

  /** Lost coordinators that answered a ping since (eligible again), and those being pinged. */
  private readonly answered = new Set<string>();
  private readonly probing = new Set<string>();

  constructor(
    private readonly options: FailoverOptions,
    /** Pings a peer (the transport's ping): resolves when it answers. */
    private readonly ping: (peerId: string) => Promise<unknown>,
  ) {}

  lost(peerId: string): void {
    this.lostIds.add(peerId);
    this.absentSince.delete(peerId);
    this.answered.delete(peerId);
  }

  /**
   * The membership reports `peerId` left. A lost coordinator that left is a new process when it is listed again,
   * even if no search was looking while it was away: it may have died, left and come back while the run sat on
   * another coordinator. Without this it stayed ineligible until it answered a ping, which a stale link to the
   * dead process does not carry for up to the transport's 5 s ping timeout (the likely cause of a 14 s failover
   * in chaos seed 5, where co-a had been killed and restarted while the run was on co-b).
   */
  memberLeft(peerId: string): void {
    if (this.lostIds.has(peerId)) this.absentSince.add(peerId);
  }

  /**
   * Looks now and then every `retryMs`: `found` gets the chosen coordinator, or `gaveUp` the time waited once
   * `windowMs` passed. A newer call replaces an older one still looking.
   */
  look(found: (peerId: string) => void, gaveUp: (waitedMs: number) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.startedAt ??= Date.now();
    const windowMs = this.options.windowMs ?? 30_000;
    const retryMs = this.options.retryMs ?? 250;
    const tick = (): void => {
      this.timer = undefined;
      if (this.stopped) return;
      const next = this.pick();
      if (next !== undefined) {
        found(next);
        return;
      }
      const waited = Date.now() - this.startedAt!;
      if (waited >= windowMs) {
        gaveUp(waited);
        return;
      }
      this.timer = setTimeout(tick, Math.min(retryMs, windowMs - waited));
      (this.timer as { unref?: () => void }).unref?.();
    };
    tick();
  }

  /** A coordinator took the run: the window starts afresh at the next loss. */
  settled(): void {
    this.startedAt = undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pick(): string | undefined {
    const listed = this.options.candidates();
    for (const id of this.lostIds) if (!listed.includes(id)) this.absentSince.add(id);
    const next = listed.find(
      (id) => !this.lostIds.has(id) || this.absentSince.has(id) || this.answered.has(id),
    );
    if (next !== undefined) {
      this.lostIds.delete(next);
      this.absentSince.delete(next);
      this.answered.delete(next);
      return next;
    }
    for (const id of listed) {
      if (!this.lostIds.has(id) || this.probing.has(id)) continue;
      this.probing.add(id);
      this.ping(id).then(
        () => {
          this.probing.delete(id);
          if (this.lostIds.has(id)) this.answered.add(id);
        },
        () => this.probing.delete(id),
      );
    }
    return undefined;
  }
}
