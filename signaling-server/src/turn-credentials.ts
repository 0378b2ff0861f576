/**
 * TURN credentials for admitted peers, in the TURN REST API scheme (draft-uberti-behave-turn-rest) that coturn
 * checks with `use-auth-secret` / `static-auth-secret=<secret>`: the username is `<expiry>:<peerId>` (expiry in
 * unix seconds) and the password is base64(HMAC-SHA1(secret, username)). coturn recomputes the password from the
 * username it is shown and refuses an expired one, so the signaling server and coturn share only the secret and
 * never talk to each other.
 *
 * Why short-lived: the welcome reaches every member, browsers included, and a credential copied out of a page
 * would otherwise relay anyone's traffic for ever. Peers get fresh ones at every welcome (each reconnect) and
 * every half TTL while connected (`ice:servers`, ice-renewal.ts), and new connections always use the latest
 * (transport/webrtc.ts asks for the list per connection).
 */
import { createHmac } from 'node:crypto';
import type { IceServerConfig } from '@handout/peer-runtime/signaling';

export interface TurnOptions {
  /** `turn:host:3478`, `turn:host:3478?transport=tcp`, `turns:host:5349`. At least one. */
  readonly urls: readonly string[];
  /** coturn's `static-auth-secret`. */
  readonly secret: string;
  /**
   * How long each credential is valid, seconds: at least `MIN_TURN_TTL_SECONDS`. Default 86 400 (24 h, coturn's
   * own example). Peers get fresh ones every half TTL; a relayed link keeps the credential it started with.
   */
  readonly ttlSeconds?: number;
}

export const DEFAULT_TURN_TTL_SECONDS = 86_400;

/**
 * The shortest TTL accepted. A connection set-up must finish while its credential is valid (renewals at half the
 * TTL leave it at least half), and coturn's clock must agree with ours within that margin. Short TTLs are for
 * tests (test/nat renews credentials of 10 s): a relayed link outliving its credential can no longer refresh its
 * TURN allocation, so deployments should keep the TTL longer than their peers' links (see docs/deploy.md).
 */
export const MIN_TURN_TTL_SECONDS = 10;

/** `stun:`/`stuns:` for STUN entries, `turn:`/`turns:` for TURN ones; the validator of the welcome checks the rest. */
const ICE_URL = /^(stuns?|turns?):[A-Za-z0-9.:[\]_-]{1,253}(\?transport=(udp|tcp))?$/;

/** Throws a TypeError naming the bad URL, so `handout signal` refuses it at start rather than peers at join. */
export function checkIceUrls(urls: readonly string[], kind: 'stun' | 'turn', option: string): void {
  for (const url of urls) {
    if (!ICE_URL.test(url) || !url.startsWith(kind))
      throw new TypeError(
        `${option}: '${url}' is not a ${kind}: URL (${kind}:host:port${kind === 'turn' ? '[?transport=tcp], or turns:host:5349' : ''})`,
      );
  }
}

/** One peer's TURN REST credential, valid until `nowMs + ttlSeconds`. */
export function turnCredential(
  secret: string,
  peerId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** What the welcome of `peerId` carries: the STUN servers, and the TURN servers with a credential of its own. */
export function iceServersFor(
  peerId: string,
  stunUrls: readonly string[],
  turn: TurnOptions | undefined,
  nowMs: number = Date.now(),
): IceServerConfig[] {
  const servers: IceServerConfig[] = [];
  if (stunUrls.length > 0) servers.push({ urls: [...stunUrls] });
  if (turn && turn.urls.length > 0)
    servers.push({
      urls: [...turn.urls],
      ...turnCredential(turn.secret, peerId, turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS, nowMs),
    });
  return servers;
}

/** Throws a TypeError naming the option (`stunUrls`, `turn.urls`, `turn.secret`, `turn.ttlSeconds`) that is wrong. */
export function checkIceOptions(
  stunUrls: readonly string[],
  turn:
    | { readonly urls: readonly string[]; readonly secret: string; readonly ttlSeconds?: number }
    | undefined,
): void {
  checkIceUrls(stunUrls, 'stun', 'stunUrls');
  if (!turn) return;
  checkIceUrls(turn.urls, 'turn', 'turn.urls');
  if (turn.secret === '') throw new TypeError('turn.secret: the TURN shared secret must not be empty');
  const ttl = turn.ttlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= MIN_TURN_TTL_SECONDS))
    throw new TypeError(`turn.ttlSeconds: must be an integer >= ${MIN_TURN_TTL_SECONDS}, got ${ttl}`);
}
