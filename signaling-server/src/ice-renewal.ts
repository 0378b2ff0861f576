/**
 * Fresh TURN credentials for a connected peer, before the ones it holds expire: `ice:servers` every half TURN
 * TTL while the session lasts. Without it a peer got credentials only in its welcome, so one that stayed
 * connected longer than the TTL opened every later link with an expired credential, which coturn refuses
 * (`use-auth-secret` checks the expiry in the username on every request), and its relayed links failed.
 *
 * Why the server pushes rather than the client asking: the server knows the TTL and already holds the session,
 * so no new client event (and no new input to check) is needed, and older clients simply ignore the event.
 * Why half the TTL: every connection then starts with at least half a TTL of validity left, whatever moment it
 * is opened at; renewing more often costs one small message per peer per period.
 */

/** Node timers overflow past 2^31-1 ms (24.8 days) and would fire at once: longer periods are clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How often a peer gets fresh credentials for a TURN TTL of `ttlSeconds`: half of it. */
export function iceRenewalPeriodMs(ttlSeconds: number): number {
  return Math.min(Math.max(1, Math.floor((ttlSeconds * 1000) / 2)), MAX_TIMER_MS);
}

/** Calls `push` every `periodMs` until the returned function is called (at the socket's disconnect). */
export function scheduleIceRenewal(periodMs: number, push: () => void): () => void {
  const timer = setInterval(push, periodMs);
  // A server closing with sockets still open must not be held up by this timer; the disconnect clears it anyway.
  timer.unref?.();
  return () => clearInterval(timer);
}
