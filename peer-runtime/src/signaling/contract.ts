/**
 * The signaling protocol, in one module (the way socket.io-parser keeps its own): the version, the typed
 * socket.io event maps of both directions, the payload types, the limits, and a validator per incoming event.
 * Server (signaling-server/) and client (./client.ts) share it through `@handout/peer-runtime/signaling` and know
 * nothing else of each other. The validators of every incoming event live beside it in ./validate.ts (kept
 * apart only for size).
 *
 * The signaling server only introduces peers and relays WebRTC signals; task data never travels here.
 */
/**
 * Bumped on any incompatible change of the events below; a client of another version is refused.
 * 2: JWT tokens, `members:changed` (coalesced updates) instead of `peer:updated`, token renewal, the mesh key.
 * 3: joins ride `members:changed` (`joined`), coalesced like updates, unless the server sends `peer:joined`.
 */
export const SIGNALING_PROTOCOL_VERSION = 3;

export const ROLES = ['contribute', 'submit', 'coordinate'] as const;
/** What a token lets a peer do: run functions, submit DAGs, coordinate runs. */
export type Role = (typeof ROLES)[number];

export type Platform = 'node' | 'browser';

/** What a peer offers. Advertised on join, updated at runtime with `peer:update`. */
export interface PeerCapabilities {
  readonly platform: Platform;
  /** Worker threads the peer may run at once (hardwareConcurrency or os.availableParallelism). */
  readonly cores: number;
  /** Memory the peer offers, in MiB. */
  readonly memoryMB: number;
  /** WebGPU available. */
  readonly gpu: boolean;
  /** User tags matched by NodeSelector (`gpu`, `eu`, ...). */
  readonly tags: readonly string[];
  /** Relative price of one core-second on this peer (0 = free). */
  readonly costRate: number;
  /** Calibration score measured at start; higher is faster, 1 is a reference machine. */
  readonly speed: number;
  /** Named countable resources (e.g. `{ licence: 2 }`), matched against a function's cost. */
  readonly resources?: Readonly<Record<string, number>>;
  /**
   * A name for people (`--label "lab box 3"`, dashboards), at most LIMITS.labelLength characters. Not an id and
   * never used for placement (tags are). It rides with the capabilities because, like them, it is what the peer
   * says about itself and rarely changes.
   */
  readonly label?: string;
}

/** What a peer is doing right now; changes often. */
export interface PeerState {
  /** Functions running now. */
  readonly running: number;
  /** Functions the peer accepts at once. */
  readonly slots: number;
  /** A paused peer keeps its membership and its cache but takes no new work. */
  readonly paused: boolean;
  /**
   * CPU share of the peer's whole process over its last report, 0..1 of all its cores (Node peers; browsers
   * cannot tell). Reported when it moved by 0.1, at most every 10 s (peer/load.ts).
   */
  readonly cpu?: number;
  /** Memory of the peer's process, MiB: resident (Node) or the JS heap (Chromium). Reported like `cpu`. */
  readonly memoryMB?: number;
}

export interface PeerInfo {
  readonly peerId: string;
  readonly roles: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly state: PeerState;
  /** Epoch milliseconds of the first join (kept across reconnects). */
  readonly joinedAt: number;
  /** The token's `trusted` claim: one of the mesh owner's own machines. Absent: false. */
  readonly trusted?: boolean;
}

/**
 * WebRTC signal data as simple-peer emits it and expects it back (`peer.signal(data)`); the server relays it
 * verbatim between two peers of one mesh.
 */
export type SignalData =
  | { readonly type: 'offer' | 'answer'; readonly sdp: string }
  | {
      readonly type: 'candidate';
      readonly candidate: {
        readonly candidate: string;
        readonly sdpMLineIndex?: number | null;
        readonly sdpMid?: string | null;
        readonly usernameFragment?: string | null;
      };
    }
  | { readonly type: 'renegotiate'; readonly renegotiate: true }
  | { readonly type: 'transceiverRequest'; readonly transceiverRequest: { readonly kind: string } };

/** Sent in the socket.io handshake as `auth`. */
export interface Handshake {
  readonly version: number;
  readonly token: string;
  /** Omitted: the token's `sub`, or an id the server makes up. */
  readonly peerId?: string;
  /** The key from the last `mesh:peers` snapshot: lets a peer reclaim its id after a network blip. */
  readonly resumeKey?: string;
  /** A subset of the token's roles; omitted: all of them. */
  readonly roles?: readonly Role[];
  /** When given, must equal the token's mesh (guards against using the wrong token). */
  readonly mesh?: string;
  readonly capabilities: PeerCapabilities;
  readonly state?: PeerState;
}

/**
 * A STUN or TURN server as the welcome hands it to peers: the shape of the W3C `RTCIceServer`, so a peer passes
 * it to its RTCPeerConnection as is. TURN entries carry short-lived TURN REST credentials (see `MeshSnapshot`).
 */
export interface IceServerConfig {
  /** `stun:`, `stuns:`, `turn:` or `turns:` URLs (`?transport=tcp` picks TURN over TCP). */
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** Sent to a peer when it joins or rejoins. */
export interface MeshSnapshot {
  readonly version: number;
  readonly mesh: string;
  readonly self: PeerInfo;
  /** Every other member of the mesh. */
  readonly peers: readonly PeerInfo[];
  /** Secret to present (with the same peer id) when reconnecting within `reconnectGraceMs`. */
  readonly resumeKey: string;
  readonly reconnectGraceMs: number;
  /**
   * Only for members holding `coordinate`: 32 bytes (base64url) derived from the server secret and the mesh name
   * (HKDF-SHA256), the same across coordinator restarts and on every server with that secret. Coordinators MAC
   * cache receipts with it (see docs/protocol.md). Never sent to anyone else.
   */
  readonly meshKey?: string;
  /**
   * For every member: 32 bytes (base64url), HKDF-SHA256 of the mesh key with this member's id (salt
   * `handout/fetch-key/v1`): the key it checks fetch tickets with (peer-runtime mesh/fetch-grants.ts). A member
   * learns only its own; coordinators derive every member's from the mesh key.
   */
  readonly fetchKey?: string;
  /** The session's token expiry, epoch seconds: `token:expiring` comes shortly before, then the session closes. */
  readonly tokenExp: number;
  /**
   * STUN/TURN servers the deployment offers (`handout signal --turn-url ... --turn-secret ...`), with TURN
   * credentials made for this peer: username `<expiry>:<peerId>`, password base64(HMAC-SHA1(secret, username)),
   * the TURN REST API scheme coturn checks with `use-auth-secret`. Fresh ones come with every welcome (each
   * reconnect) and, while the session lasts, in `ice:servers` when half their validity has passed. Omitted: the
   * server offers none.
   */
  readonly iceServers?: readonly IceServerConfig[];
}

/**
 * `ice:servers`: the welcome's STUN/TURN list again, with fresh TURN credentials, sent every half TURN TTL while
 * the session lasts, so a connection opened late in a long session never starts with an expired credential.
 * It replaces the list of the welcome (connections already open keep the credential they started with).
 */
export interface IceServersMessage {
  readonly iceServers: readonly IceServerConfig[];
}

/**
 * `left`: closed its connection; `lost`: its connection dropped and it did not return within the grace window;
 * `expelled`: closed by the server; `expired`: its token expired without a renewal.
 */
export type LeaveReason = 'left' | 'lost' | 'expelled' | 'expired';

/** Why the server refused a connection (sent as `connect_error` data). */
export type RefusalReason =
  | 'token-missing'
  | 'token-malformed'
  | 'token-bad-signature'
  | 'token-expired'
  | 'wrong-mesh'
  | 'role-not-granted'
  | 'peer-id-taken'
  | 'peer-id-mismatch'
  | 'bad-handshake'
  | 'version-mismatch'
  /** A pre-JWT handout token: make a new one with `handout token`. */
  | 'token-outdated'
  /** No key with the token's `kid` (rotated out, or another server's token). */
  | 'token-unknown-key'
  /** The identity provider's JWKS could not be fetched; try again later. */
  | 'token-keys-unavailable'
  /** A token granting `coordinate` without `sub`. */
  | 'coordinate-unbound'
  /** The id was used recently by a peer with another token subject (see `idReserveMs`). */
  | 'peer-id-reserved'
  /** This address has `maxConnectionsPerAddress` sockets open. */
  | 'too-many-connections'
  /** This address opens connections faster than `connectionRate` allows. */
  | 'connection-rate-limited'
  /** The handshake is larger than `LIMITS.handshakeBytes`, or not a JSON object. */
  | 'handshake-too-large';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'token-missing',
  'token-malformed',
  'token-bad-signature',
  'token-expired',
  'wrong-mesh',
  'role-not-granted',
  'peer-id-taken',
  'peer-id-mismatch',
  'bad-handshake',
  'version-mismatch',
  'token-outdated',
  'token-unknown-key',
  'token-keys-unavailable',
  'coordinate-unbound',
  'peer-id-reserved',
  'too-many-connections',
  'connection-rate-limited',
  'handshake-too-large',
];

export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
  readonly field?: string;
}

/**
 * Why the server rejected one event (the socket stays connected). `peer-unavailable`: the target is reconnecting
 * after a blip; try again shortly. `payload-too-large`: over `LIMITS.eventBytes`; `malformed-packet`: not a
 * socket.io event the server can decode (bad JSON, binary attachments); `token-rejected`: a `token:renew` whose
 * token does not verify or does not fit the session.
 */
export type EventErrorCode =
  | 'invalid-payload'
  | 'unknown-peer'
  | 'peer-unavailable'
  | 'rate-limited'
  | 'unknown-event'
  | 'payload-too-large'
  | 'malformed-packet'
  | 'token-rejected';

export interface EventError {
  readonly code: EventErrorCode;
  readonly event: string;
  readonly message: string;
  readonly field?: string;
  /** The peer at fault, e.g. the unknown target of a signal. */
  readonly peerId?: string;
}

export type Ack = { readonly ok: true } | { readonly ok: false; readonly error: EventError };

export interface PeerUpdate {
  readonly capabilities?: Partial<PeerCapabilities>;
  readonly state?: Partial<PeerState>;
}

export interface SignalToMessage {
  readonly to: string;
  readonly data: SignalData;
}

export interface SignalFromMessage {
  readonly from: string;
  readonly data: SignalData;
}

export interface PeerLeftMessage {
  readonly peerId: string;
  readonly reason: LeaveReason;
}

/**
 * Joins and changes of members' roles, capabilities and state, coalesced: one per mesh every
 * `broadcastIntervalMs` at most, each peer at most once with its latest info. A join is in `joined` (the server
 * sends `peer:joined` instead when it does not coalesce joins); a peer's join always reaches the others before a
 * signal from it does. Departures stay separate, immediate events (`peer:left`).
 */
export interface MembersChangedMessage {
  /** Peers that joined since the last broadcast. Absent: none. */
  readonly joined?: readonly PeerInfo[];
  readonly updated: readonly PeerInfo[];
}

/** Sent `tokenRenewBeforeMs` before the session's token expires: renew with `token:renew`, or be closed. */
export interface TokenExpiringMessage {
  /** Epoch seconds. */
  readonly exp: number;
}

export interface TokenRenewMessage {
  /** A token for the same mesh and peer (same `sub`, or none), granting the roles the session holds. */
  readonly token: string;
}

/** Why the server is about to close this session (sent just before it disconnects the socket). */
export type SessionCloseReason = 'token-expired';

export interface SessionClosingMessage {
  readonly reason: SessionCloseReason;
  readonly message: string;
}

export interface ServerToClientEvents {
  'mesh:peers': (snapshot: MeshSnapshot) => void;
  'peer:joined': (peer: PeerInfo) => void;
  'members:changed': (message: MembersChangedMessage) => void;
  'peer:left': (message: PeerLeftMessage) => void;
  signal: (message: SignalFromMessage) => void;
  'token:expiring': (message: TokenExpiringMessage) => void;
  'session:closing': (message: SessionClosingMessage) => void;
  'ice:servers': (message: IceServersMessage) => void;
  /** A rejected event sent without an ack callback. */
  error: (error: EventError) => void;
}

export interface ClientToServerEvents {
  'peer:update': (update: PeerUpdate, ack: (result: Ack) => void) => void;
  signal: (message: SignalToMessage, ack: (result: Ack) => void) => void;
  'token:renew': (message: TokenRenewMessage, ack: (result: Ack) => void) => void;
}

export const CLIENT_EVENTS = [
  'peer:update',
  'signal',
  'token:renew',
] as const satisfies readonly (keyof ClientToServerEvents)[];

/** Size limits, checked by the validators. An SDP of a data-channel-only session is 1–3 KiB. */
export const LIMITS = {
  idLength: 64,
  tokenLength: 4096,
  sdpBytes: 64 * 1024,
  candidateLength: 1024,
  tags: 32,
  tagLength: 64,
  /** Longest `PeerCapabilities.label`. */
  labelLength: 64,
  resources: 32,
  maxCores: 4096,
  maxMemoryMB: 16 * 1024 * 1024,
  maxSlots: 65536,
  /** The handshake as sent (its socket.io packet): token, capabilities (≤ 32 tags, ≤ 32 resources), ids. */
  handshakeBytes: 16 * 1024,
  /** One event as sent: the largest is a signal carrying an SDP (≤ 64 KiB, a little more JSON-escaped). */
  eventBytes: 128 * 1024,
} as const;

/** The WebSocket close code for a message over the transport limit (RFC 6455 "message too big"). */
export const CLOSE_MESSAGE_TOO_BIG = 1009;

/** Peer ids and mesh names: URL- and log-safe. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * What the WebRTC transport needs from signaling: send a signal to a peer, hear signals from peers.
 * `SignalingClient` implements it; tests may hand the transport an in-memory one.
 */
export interface SignalRelay {
  sendSignal(to: string, data: SignalData): void;
  /** Returns a function that removes the listener. */
  onSignal(listener: (from: string, data: SignalData) => void): () => void;
}
