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
  /** engine.io connections per address, joined or not (see `transportAllowed`). */
  private readonly transports = new Map<string, number>();
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

  /**
   * The transport-level backstop: a connection that never sends a handshake holds memory until socket.io's join
   * timeout, and is not counted by `acquire`. At most twice the cap of such raw connections are let in per
   * address; beyond that the HTTP upgrade is refused with 403 (engine.io's `allowRequest`), where no reason can
   * reach a browser. Well-behaved clients never get there: `acquire` refuses them first, with a reason.
   */
  transportAllowed(address: string): boolean {
    return this.max <= 0 || (this.transports.get(address) ?? 0) < 2 * this.max;
  }

  transportOpened(address: string): void {
    this.transports.set(address, (this.transports.get(address) ?? 0) + 1);
  }

  transportClosed(address: string): void {
    decrement(this.transports, address);
  }

  release(address: string): void {
    decrement(this.open, address);
  }

  private sweep(): void {
    for (const [address, bucket] of this.buckets) if (bucket.full()) this.buckets.delete(address);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

export type Headers = Record<string, string | string[] | undefined>;

/** The client's address: the socket's, or with `trustProxy` the last `X-Forwarded-For` hop (the proxy's own). */
export function clientAddress(remote: string, headers: Headers, trustProxy: boolean): string {
  if (!trustProxy) return remote;
  const header = headers['x-forwarded-for'];
  const last = (Array.isArray(header) ? header.at(-1) : header)?.split(',').at(-1)?.trim();
  return last || remote;
}
