/** The signaling client's public shape: its options (each with its default), its events, its methods. */
import type { SignalingError } from './client-errors.js';
import type {
  IceServerConfig,
  PeerCapabilities,
  PeerInfo,
  PeerLeftMessage,
  PeerState,
  PeerUpdate,
  Role,
  SignalData,
  SignalRelay,
} from './contract.js';

export interface SignalingClientOptions {
  /**
   * The signaling server, e.g. `http://127.0.0.1:8080`, or several processes of one deployment (sharing Redis):
   * the first is tried first, and every retry moves to the next, so a peer whose process died reconnects to
   * another and resumes its session there (`connectSignaling` fails as unreachable only once each URL failed).
   */
  url: string | readonly string[];
  /**
   * The token, or a function asked on every (re)connect: a long-lived peer hands out a fresh one there, since
   * a reconnect with an expired token is refused. A token renewed with `renewToken` is used on reconnects
   * instead of a fixed string (a function is still asked).
   */
  token: string | (() => string);
  /**
   * Asked for a new token when the server warns that the session's token is about to expire (`token:expiring`,
   * by default 60 s before): return a token for the same mesh and peer (same `sub`, or none) granting the same
   * roles, with a later `exp`; the session then goes on. A failure is reported as an `error` event, and the
   * session is closed (`token-expired`) at expiry. Default: none (with `token` as a function, that function is
   * asked); without either, the session ends when its token does.
   */
  renewToken?: () => string | Promise<string>;
  /** Omitted: the token's `sub`, or an id the server makes up. */
  peerId?: string;
  capabilities: PeerCapabilities;
  /** Default: `{ running: 0, slots: capabilities.cores, paused: false }`. */
  state?: PeerState;
  /** A subset of the token's roles to take. Default: all of them. */
  roles?: readonly Role[];
  /** The mesh expected; the server refuses if the token is for another one. */
  mesh?: string;
  /** Reject `connectSignaling` if not joined within this time. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Time to wait for the server's reply to `update`/`sendSignalAndWait`/`renewToken`. Default 5 000 ms. */
  ackTimeoutMs?: number;
  /** First reconnect delay after a blip; doubles up to 2 s. Default 250 ms (the server's grace is a few seconds). */
  reconnectDelayMs?: number;
  /** Default `['websocket']`: no long-polling, so no CORS preflight or sticky sessions needed. */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
}

export interface SignalingClientEvents {
  'peer:joined': (peer: PeerInfo) => void;
  /** A member's roles, `trusted`, capabilities or state changed (from the server's coalesced `members:changed`). */
  'peer:updated': (peer: PeerInfo) => void;
  'peer:left': (message: PeerLeftMessage) => void;
  signal: (from: string, data: SignalData) => void;
  /** A rejected event (e.g. a signal to an unknown peer), a failed renewal, or a refused reconnect. */
  error: (error: SignalingError) => void;
  /** The session's token was renewed; `exp` is the new expiry (epoch seconds). */
  renewed: (exp: number) => void;
  /** The server sent fresh STUN/TURN servers (`ice:servers`); `iceServers` now returns them. */
  'ice:renewed': (servers: readonly IceServerConfig[]) => void;
  /** The connection dropped; the client is reconnecting with the same peer id. */
  disconnect: (reason: string) => void;
  /** Back after a blip; the membership view has been refreshed. */
  reconnect: () => void;
  /** Final: closed by `close()`, by the server (`token-expired`, ...), or after a refused reconnect. */
  close: (error?: SignalingError) => void;
}

export interface SignalingClient extends SignalRelay {
  readonly peerId: string;
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** This peer as the others see it. */
  readonly self: PeerInfo;
  readonly connected: boolean;
  /** The signaling URL in use (or being tried), one of `options.url`. */
  readonly url: string;
  /** The mesh key (32 bytes) the server gives members holding `coordinate`, for cache receipts; else undefined. */
  readonly meshKey: Uint8Array | undefined;
  /** This member's fetch key (32 bytes), which it checks fetch tickets with; undefined from older servers. */
  readonly fetchKey: Uint8Array | undefined;
  /** When the session's token expires, epoch seconds (moved by a renewal). */
  readonly tokenExp: number;
  /**
   * The STUN/TURN servers of the latest welcome or `ice:servers` (TURN credentials made for this peer, renewed
   * at each reconnect and every half TURN TTL); [] when the server offers none.
   */
  readonly iceServers: readonly IceServerConfig[];
  /** The other members of the mesh, as last heard. */
  peers(): PeerInfo[];
  peer(peerId: string): PeerInfo | undefined;
  on<E extends keyof SignalingClientEvents>(event: E, listener: SignalingClientEvents[E]): () => void;
  /** Fire and forget (what the WebRTC transport uses); a rejection arrives as an `error` event naming the peer. */
  sendSignal(to: string, data: SignalData): void;
  /** Like `sendSignal`, but resolves when the server relayed it and rejects with a SignalingError otherwise. */
  sendSignalAndWait(to: string, data: SignalData): Promise<void>;
  onSignal(listener: (from: string, data: SignalData) => void): () => void;
  /** Change capabilities or state; every member sees `peer:updated` (coalesced by the server, ~100 ms). */
  update(update: PeerUpdate): Promise<void>;
  /** Hands the server a new token for this session (see `renewToken` for the rules); rejects if refused. */
  renewToken(token: string): Promise<void>;
  close(): Promise<void>;
}
