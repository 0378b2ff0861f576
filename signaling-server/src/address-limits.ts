/**
 * Per-address admission: a cap on sockets open at once from one address and a token bucket on how fast one
 * address may open them. Checked in the socket.io middleware before the token, so a flood of connections costs
 * no cryptography, and refused with a reason the client can read (`connect_error`).
 */
import type { Refusal } from '@handout/peer-runtime/signaling';
import { type RateLimitOptions, TokenBucket } from './rate-limit.js';

export interface AddressLimitOptions {
  /**
   * Sockets admitted at once from one address. Default 64: a lab or office behind one NAT still fits, a single
   * machine opening hundreds does not. 0 disables the cap.
   */
  readonly maxConnectionsPerAddress?: number;
  /** Connection attempts per address (admitted or not). Default 32 at once, 4 per second. */
  readonly connectionRate?: RateLimitOptions;
}

export const ADDRESS_LIMIT_DEFAULTS = {
  maxConnectionsPerAddress: 64,
  connectionRate: { burst: 32, perSecond: 4 },
} as const;

/** Idle buckets are forgotten once this many addresses are tracked (bounds memory under address churn). */
const SWEEP_AT = 4096;

export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly max: number;
  private readonly rate: RateLimitOptions;

  constructor(options: AddressLimitOptions = {}) {
    this.max = options.maxConnectionsPerAddress ?? ADDRESS_LIMIT_DEFAULTS.maxConnectionsPerAddress;
    this.rate = options.connectionRate ?? ADDRESS_LIMIT_DEFAULTS.connectionRate;
  }

  /**
   * Charges one attempt to `address` and, when within the limits, holds one of its connection slots (counted
   * before the asynchronous token check, so that a burst of handshakes cannot all pass the cap at once). The
   * caller must `release` the slot when the connection is refused or closes.
   */
  acquire(address: string): Refusal | undefined {
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_AT) this.sweep();
      bucket = new TokenBucket(this.rate);
      this.buckets.set(address, bucket);
    }
    if (!bucket.take()) {
      return {
        reason: 'connection-rate-limited',
        message: `too many connection attempts from ${address}; wait a few seconds`,
      };
    }
    const open = this.open.get(address) ?? 0;
    if (this.max > 0 && open >= this.max) {
      return {
        reason: 'too-many-connections',
        message: `${address} already has ${open} connections open (at most ${this.max} per address)`,
      };
    }
    this.open.set(address, open + 1);
    return undefined;
  }

  release(address: string): void {
    const n = (this.open.get(address) ?? 0) - 1;
    if (n <= 0) this.open.delete(address);
    else this.open.set(address, n);
  }

  private sweep(): void {
    for (const [address, bucket] of this.buckets) if (bucket.full()) this.buckets.delete(address);
  }
}
