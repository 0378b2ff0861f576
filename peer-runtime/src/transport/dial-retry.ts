/**
 * Opening a frame link with retries: each attempt is bounded by `connectTimeoutMs`, attempts after the first
 * wait `retryDelayMs` doubled per retry, with ±25% jitter so peers that failed together do not retry together.
 */
import { PeerError } from '../errors.js';
import { peerError } from './connection.js';
import { type Dialer, type FrameLink, LinkSetupError, PeerUnreachableError } from './frame-link.js';

/** TransportOptions' dial settings, defaults already applied (15_000 ms, 2 retries, 250 ms: see types.ts). */
export interface DialRetryOptions {
  /** Give up one attempt after this long, ms. */
  readonly connectTimeoutMs: number;
  /** Attempts after the first. */
  readonly connectRetries: number;
  /** Wait before the first retry, ms; doubled for each later one. */
  readonly retryDelayMs: number;
}

/**
 * A link to `peerId` from `dialer`, trying up to `connectRetries + 1` times. Rejects at once with a
 * PeerUnreachableError (retrying will not help), or after the last attempt with a PeerError naming the peer.
 * Aborting `signal` stops the attempt in progress and any further ones.
 */
export async function dialWithRetry(
  dialer: Dialer,
  peerId: string,
  signal: AbortSignal,
  options: DialRetryOptions,
): Promise<FrameLink> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= options.connectRetries; attempt++) {
    if (attempt > 0) {
      const delay = options.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      await new Promise((r) => setTimeout(r, delay));
    }
    if (signal.aborted) break;
    const attemptAbort = new AbortController();
    const onAbort = () => attemptAbort.abort();
    signal.addEventListener('abort', onAbort);
    // The abort's reason says it was the clock, so the dialer reports a timeout rather than an abort.
    const timer = setTimeout(
      () =>
        attemptAbort.abort(
          new LinkSetupError(peerId, 'timeout', `no link within ${options.connectTimeoutMs} ms`),
        ),
      options.connectTimeoutMs,
    );
    try {
      return await dialer.dial(peerId, attemptAbort.signal);
    } catch (err) {
      lastError = err;
      if (err instanceof PeerUnreachableError) throw err;
      // Stopped from outside (the connection was dropped, or adopted a link the remote opened): no more attempts.
      if (signal.aborted) break;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
  const attempts = options.connectRetries + 1;
  if (lastError instanceof LinkSetupError)
    throw new LinkSetupError(peerId, lastError.failure, `${lastError.message}, ${attempts} attempt(s)`, {
      cause: lastError,
    });
  throw lastError instanceof PeerError ? lastError : peerError(peerId, 'could not connect', lastError);
}
