/**
 * Capabilities are claims: what a peer advertises (slots, speed) is believed only as far as it has delivered.
 * A contributor that advertised 4,096 cores and speed 1e9 once slowed a 60-function run from ~7.5 s to 53.9 s,
 * because the allocator queued most of the run on it. So the coordinator places work by believed figures:
 *
 * - Slots, slow start: a new peer gets `initialSlots` (default 1) whatever it claims, and then one slot more
 *   than the concurrency it has shown, up to its claim. Shown concurrency is how many of its recent functions ran
 *   at once: each completion is an interval (its result's arrival minus its reported duration), and the most
 *   intervals holding one point is what it delivered. A peer that claims 64 slots and runs one function at a
 *   time shows 1 and gets 2; an honest 16-core peer shows more with each round of completions and is fully used
 *   after a few rounds. Inflating durations to fake overlap costs the liar its measured speed (below) in the same
 *   proportion, so its believed throughput (slots × speed) stays what it delivers.
 * - Speed, measured: until `minSamples` functions with a `cost.estimateMs` have completed, the advertised speed
 *   counts only up to `maxUnmeasuredSpeed` (default 4: a fast machine, not a data centre); after, the measured
 *   speed replaces it: total estimated ms over total observed ms (the harmonic mean of per-function speeds, the
 *   right mean for durations). Observed ms is the larger of what the peer reports and what the coordinator saw
 *   between the function's start (its dispatch, or when the peer last freed a slot) and its result, so a peer
 *   cannot look fast by reporting short durations.
 *
 * - Liars, named: once measured, a peer whose advertised speed is more than `liarFactor` (default 10) times what
 *   it delivered has contradicted its claim. `takeContradiction` hands that out once per peer (and connection),
 *   and the coordinator scores it in the trust ledger like a lost quorum. A factor of 10, not 2: an honest peer's
 *   calibration runs on an idle machine and its functions may later share the cores with other work (measured
 *   here: 2-3× slower on a loaded 2-core machine, 10× for the first functions of cold workers), and that is not a
 *   lie; and a claim at or below `maxUnmeasuredSpeed` is never judged (it was believed as it was). Slots are not judged: a peer shows
 *   only the concurrency its work allowed (a chain of functions shows 1 on any machine), so a shortfall proves
 *   nothing; slow start already keeps an inflated slot claim from costing anything.
 *
 * Functions without an estimate, or estimated under `minSampleMs`, give no speed sample (nothing to compare
 * their duration with, or a duration that is mostly overhead); their placement uses the clamped claim. Pure and synchronous: the coordinator feeds it and applies what it returns.
 */

export interface ClaimOptions {
  /** Slots a new peer gets, whatever it claims. Default 1. */
  readonly initialSlots?: number;
  /** Advertised speed believed at most, until measured. Default 4. */
  readonly maxUnmeasuredSpeed?: number;
  /** Completed functions with an estimate before the measured speed replaces the claim. Default 3. */
  readonly minSamples?: number;
  /**
   * Shortest estimate that makes a speed sample. A quicker function's time is mostly overhead (a round trip, a
   * worker message), which would make any peer look slow. Default 10 ms.
   */
  readonly minSampleMs?: number;
  /** Advertised over measured speed past which the claim counts as contradicted (a liar). Default 10. */
  readonly liarFactor?: number;
}

/** What the coordinator should place by. */
export interface BelievedCapacity {
  readonly cores: number;
  readonly speed: number;
}

interface PeerClaim {
  claimedCores: number;
  claimedSpeed: number;
  /** Most functions seen running at once. */
  shown: number;
  /** Recent execution intervals (ms epoch), oldest first, at most RECENT. */
  readonly recent: { start: number; end: number }[];
  samples: number;
  estimatedMs: number;
  observedMs: number;
  /** Whether its contradiction was already handed out (once per peer and connection). */
  told: boolean;
  /** A contradiction not yet taken. */
  contradiction: string | undefined;
}

/** Completions remembered per peer for its shown concurrency: enough to see a 64-slot machine at work. */
const RECENT = 128;

export class CapacityClaims {
  private readonly peers = new Map<string, PeerClaim>();
  private readonly initialSlots: number;
  private readonly maxUnmeasuredSpeed: number;
  private readonly minSamples: number;
  private readonly minSampleMs: number;
  private readonly liarFactor: number;

  constructor(options: ClaimOptions = {}) {
    this.initialSlots = options.initialSlots ?? 1;
    this.maxUnmeasuredSpeed = options.maxUnmeasuredSpeed ?? 4;
    this.minSamples = options.minSamples ?? 3;
    this.minSampleMs = options.minSampleMs ?? 10;
    this.liarFactor = options.liarFactor ?? 10;
  }

  /** A peer's (new or updated) claim; `speed` undefined keeps the one it made before. Returns what to believe. */
  claim(peerId: string, cores: number, speed?: number): BelievedCapacity {
    let p = this.peers.get(peerId);
    if (!p) {
      p = {
        claimedCores: cores,
        claimedSpeed: speed ?? 1,
        shown: 0,
        recent: [],
        samples: 0,
        estimatedMs: 0,
        observedMs: 0,
        told: false,
        contradiction: undefined,
      };
      this.peers.set(peerId, p);
    }
    p.claimedCores = cores;
    if (speed !== undefined) p.claimedSpeed = speed;
    return this.believed(p);
  }

  /**
   * A function completed on `peerId` at `endedAt`, having run `reportedMs` by its word and `observedMs` as the
   * coordinator saw it; `estimateMs` when the function declared one (a speed sample). Returns what to believe
   * now, or undefined for a peer it does not know.
   */
  completed(
    peerId: string,
    sample: {
      readonly endedAt: number;
      readonly reportedMs: number;
      readonly observedMs: number;
      readonly estimateMs?: number;
    },
  ): BelievedCapacity | undefined {
    const p = this.peers.get(peerId);
    if (!p) return undefined;
    // The larger of the two: a peer may under-report; the coordinator's view (from when the function could start
    // there: its dispatch, or the peer's last freed slot) adds a round trip and never exceeds the truth by more.
    const ms = Math.max(sample.reportedMs, sample.observedMs, 0.001);
    const interval = { start: sample.endedAt - Math.max(0, sample.reportedMs), end: sample.endedAt };
    const mid = (interval.start + interval.end) / 2;
    let atOnce = 1;
    for (const r of p.recent) if (r.start < mid && r.end > mid) atOnce++;
    p.shown = Math.max(p.shown, atOnce);
    p.recent.push(interval);
    if (p.recent.length > RECENT) p.recent.shift();
    if (sample.estimateMs !== undefined && sample.estimateMs >= this.minSampleMs) {
      p.samples++;
      p.estimatedMs += sample.estimateMs;
      p.observedMs += ms;
      this.judge(p);
    }
    return this.believed(p);
  }

  /**
   * What `peerId` claimed and did not deliver, e.g. "speed 1000000 advertised, 0.98 measured over 3 functions",
   * once: later calls return undefined until the peer comes back after `forget`.
   */
  takeContradiction(peerId: string): string | undefined {
    const p = this.peers.get(peerId);
    const c = p?.contradiction;
    if (p) p.contradiction = undefined;
    return c;
  }

  private judge(p: PeerClaim): void {
    if (p.told || p.samples < this.minSamples) return;
    // A claim within what is believed unmeasured anyway gained nothing, and a loaded honest machine's first
    // functions (cold workers, shared cores) can measure 10× slow: only claims beyond the clamp are judged.
    if (p.claimedSpeed <= this.maxUnmeasuredSpeed) return;
    const measured = p.estimatedMs / p.observedMs;
    if (p.claimedSpeed <= measured * this.liarFactor) return;
    p.told = true;
    p.contradiction = `speed ${p.claimedSpeed} advertised, ${measured.toPrecision(2)} measured over ${p.samples} functions`;
  }

  /** A peer left: a comeback starts over (slots are earned per connection; the trust ledger is what persists). */
  forget(peerId: string): void {
    this.peers.delete(peerId);
  }

  /** The measured speed, once there are enough samples. */
  measuredSpeed(peerId: string): number | undefined {
    const p = this.peers.get(peerId);
    return p && p.samples >= this.minSamples ? p.estimatedMs / p.observedMs : undefined;
  }

  private believed(p: PeerClaim): BelievedCapacity {
    const cores = Math.min(p.claimedCores, Math.max(this.initialSlots, p.shown + 1));
    const speed =
      p.samples >= this.minSamples
        ? p.estimatedMs / p.observedMs
        : Math.min(p.claimedSpeed, this.maxUnmeasuredSpeed);
    return { cores, speed };
  }
}
