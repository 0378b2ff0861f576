/**
 * A token bucket per socket: `burst` events at once, refilled at `perSecond`. Signals come in bursts (an offer
 * and a dozen ICE candidates per connection, a coordinator opening many connections at once), so the burst is
 * generous and the sustained rate moderate.
 */
export interface RateLimitOptions {
  /** Bucket size: events allowed at once. Default 200. */
  burst?: number;
  /** Refill rate, events per second. Default 100. */
  perSecond?: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perMs: number;

  constructor(
    options: RateLimitOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = options.burst ?? 200;
    this.perMs = (options.perSecond ?? 100) / 1000;
    this.tokens = this.burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the event must be dropped). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely: forgetting it changes nothing. */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
  }
}
