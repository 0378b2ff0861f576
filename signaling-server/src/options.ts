/** The options of `createSignalingServer`, each with its default. */
import type { HmacKey } from '@handout/peer-runtime/signaling';
import type { Logger } from '@handout/peer-runtime/telemetry';
import type { AddressLimitOptions } from './address-limits.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { TurnOptions } from './turn-credentials.js';

/**
 * @deprecated Use `Logger` from `@handout/peer-runtime/telemetry`, the one logger shape of every part (this alias
 * goes in the next minor release, docs/versioning.md). An object with only `info` and `warn` no longer fits.
 */
export type SignalingLogger = Logger;

export interface SignalingServerOptions extends AddressLimitOptions {
  /** TCP port. Default 8080; 0 picks a free one (read it from the result). */
  port?: number;
  /** Interface to bind. Default 127.0.0.1: exposing the server is a deliberate choice. */
  host?: string;
  /**
   * The HS256 secret: signs the tokens `issueToken` makes (under the kid `keyIdOf(secret)`, or `secretKid`), is
   * accepted for verification, and derives the mesh keys. Default: 32 random bytes (read it from the result).
   */
  secret?: string;
  /** The kid of `secret` in token headers. Default `keyIdOf(secret)` (what `handout token --print-kid` prints). */
  secretKid?: string;
  /**
   * More HS256 keys accepted by kid, for rotation: keep the old key here while its tokens run out. Default none.
   * A token without a kid is checked against `secret`.
   */
  keys?: readonly HmacKey[];
  /** An identity provider's JWKS URL: EdDSA, RS256 and ES256 tokens verified against it. Default: none. */
  jwksUrl?: string;
  /** When set, tokens must carry this `iss`. Default: not checked. */
  issuer?: string;
  /** When set, tokens must carry this `aud`. Default: not checked. */
  audience?: string;
  /** When set, only tokens for these meshes are accepted. Default: any mesh. */
  meshes?: readonly string[];
  /**
   * How long a silent connection (peer frozen, cable pulled) lives before the server drops it: socket.io pings
   * every half of this and waits the other half for the pong. Default 5000 ms. A killed process is noticed at
   * once (its TCP connection closes), a silent one within this time.
   */
  presenceTimeoutMs?: number;
  /** How long a dropped peer keeps its id and membership, waiting for it to reconnect. Default 3000 ms. */
  reconnectGraceMs?: number;
  /**
   * How long an id stays bound to its token subject after its peer left: meanwhile only a token with the same
   * `sub` (or, for an id first taken by an unbound token, another unbound token) may take it. Default 15 min.
   */
  idReserveMs?: number;
  /** Per-socket token bucket over every event. Default 200 events burst, 100 per second. */
  rateLimit?: RateLimitOptions;
  /**
   * Read the client address from the last `X-Forwarded-For` entry (the one the proxy in front added). Default
   * false: behind a reverse proxy every client would otherwise share the proxy's address and its limits.
   */
  trustProxy?: boolean;
  /**
   * The transport limit: a WebSocket message over it is closed with code 1009 (message too big) before it is
   * read. Default 1 MiB. Handshakes over `LIMITS.handshakeBytes` and events over `LIMITS.eventBytes` (both far
   * below) are refused with a reason and the socket stays open.
   */
  maxMessageBytes?: number;
  /** Member changes (`peer:update`) are broadcast as one `members:changed` per mesh this often. Default 100 ms. */
  broadcastIntervalMs?: number;
  /**
   * Joins ride the coalesced `members:changed` (true) or go out at once, one `peer:joined` broadcast each
   * (false: N joins cost N²/2 socket writes; see bench/signaling-load.bench.ts). Default true.
   */
  coalesceJoins?: boolean;
  /**
   * A Redis URL (`redis://host:6379`, `rediss://` for TLS): several signaling processes then serve the same
   * meshes. The registry (ids in use and their subjects, resume keys, members and roles, reserved ids) lives in
   * Redis with expiry, and socket.io's Redis adapter (pub/sub) carries broadcasts and signals between processes.
   * All processes must share `secret` (and `keys`). Per-address limits and rate limits stay per process.
   * Default: none (one process, everything in memory).
   */
  redis?: string;
  /**
   * STUN servers (`stun:host:3478`) every peer is told of in its welcome. Default none: peers use only what they
   * were configured with (by default no ICE server at all).
   */
  stunUrls?: readonly string[];
  /**
   * TURN servers sharing a secret with this server (coturn `use-auth-secret`): each admitted peer gets its own
   * short-lived credential in its welcome (turn-credentials.ts), so peers behind NATs relay with nothing else
   * configured. Default none.
   */
  turn?: TurnOptions;
  /** Prefix of every Redis key and channel, so deployments can share one Redis. Default `handout:signaling:`. */
  redisPrefix?: string;
  /** The per-mesh broadcast budget: peers per `members:changed`; the rest wait for the next one. Default 256. */
  maxBroadcastPeers?: number;
  /** `token:expiring` goes out this long before a session's token expires. Default 60 000 ms. */
  tokenRenewBeforeMs?: number;
  /** Origins allowed for browser clients using long-polling. Default: none (WebSocket is not subject to CORS). */
  corsOrigin?: string | readonly string[];
  /** Directory served as static files (the demo page). Default: none. */
  staticDir?: string;
  /**
   * Where the server tells what happens: admissions and departures (info, with `mesh`, `peer`, `address`),
   * refusals (warn, with `reason` and `address`), rejected events and failures (warn, error). Default:
   * silentLogger. `handout signal` passes one built from `--log-level` and `--log-format`.
   */
  logger?: Logger;
}

export const SERVER_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  presenceTimeoutMs: 5000,
  reconnectGraceMs: 3000,
  idReserveMs: 15 * 60_000,
  maxMessageBytes: 1024 * 1024,
  broadcastIntervalMs: 100,
  maxBroadcastPeers: 256,
  tokenRenewBeforeMs: 60_000,
  /** Reservations kept per mesh (the oldest are forgotten beyond it). */
  maxReservedIdsPerMesh: 10_000,
  /** How often expired records are swept (peers past their grace window announced as `lost`). */
  sweepMs: 250,
  /** With Redis: how often a process pushes back the deadlines of the peers connected to it. */
  refreshMs: 1000,
  /** A connection that has not joined within this time is closed (socket.io's `connectTimeout`). */
  joinTimeoutMs: 10_000,
} as const;
