/**
 * The Transport contract: how a peer sends typed wire messages to other peers by id. Two implementations,
 * both built as factories: WebRTC data channels (webrtc.ts) and an in-memory hub for tests of the layers
 * above (memory.ts). Both run the same codec and framing, and pass the same contract suite
 * (peer-runtime/test/transport/contract.ts).
 *
 * Guarantees:
 * - Messages from one peer to another arrive in the order `send` was called, each exactly once, byte-exact,
 *   as long as the connection stays up; except `result:data`, which travels in the bulk lane
 *   (framed-sender.ts) and may be overtaken by what is sent after it, so that a big result never holds a
 *   control message back.
 * - `send` opens a connection on demand; it resolves once the message is handed to the channel (backpressure
 *   respected), and rejects with a PeerError naming the peer when the peer is unknown, gone or unreachable.
 * - A connection that closes or fails is reported once as `peer:disconnected` with its reason.
 */
import type { WireMessage } from '../protocol/messages.js';
import type { LinkPath } from './link-path.js';
import type { LinkTraffic } from './link-traffic.js';

export type DisconnectReason =
  /** We closed it (`disconnect(peerId)` or `close()`). */
  | 'closed'
  /** The remote side closed it, or its channel went away. */
  | 'remote-closed'
  /** No traffic for `idleTimeoutMs`. */
  | 'idle'
  /** Closed to make room under `maxConnections`. */
  | 'evicted'
  /** The remote peer sent something malformed or spoke another protocol version. */
  | 'protocol-error'
  /** The connection failed (ICE/DTLS failure, a channel error). */
  | 'failed';

export interface TransportEvents {
  'peer:connected': { readonly peerId: string; readonly path?: LinkPath };
  'peer:disconnected': { readonly peerId: string; readonly reason: DisconnectReason; readonly error?: Error };
}

export type TransportEventName = keyof TransportEvents;

export type MessageListener = (from: string, message: WireMessage) => void;

export interface ConnectionInfo {
  readonly peerId: string;
  readonly state: 'connecting' | 'open';
  /** Epoch ms of the last message sent or received. */
  readonly lastActivity: number;
  /** Bytes accepted by `send` and not yet handed to the channel. */
  readonly queuedBytes: number;
  /** How the link connected (WebRTC: the selected ICE candidate pair); absent while connecting or in memory. */
  readonly path?: LinkPath;
}

export interface Transport {
  readonly localPeerId: string;
  /** Sends one message; opens the connection if needed. Rejects with PeerError naming `peerId`. */
  send(peerId: string, message: WireMessage): Promise<void>;
  /** Every message received (transport-level `hello`/`ping`/`pong` are handled inside and not delivered). */
  onMessage(listener: MessageListener): () => void;
  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void;
  /** Opens (or waits for) a connection, retrying with backoff. Rejects with PeerError naming `peerId`. */
  connect(peerId: string): Promise<void>;
  /** Closes the connection to one peer (reported as `closed`). */
  disconnect(peerId: string): void;
  /** Round-trip time to a connected peer in ms (a ping/pong on the data channel). */
  ping(peerId: string): Promise<number>;
  connections(): readonly ConnectionInfo[];
  /**
   * Bytes and messages moved per remote peer since the transport started, across reconnections (for metrics;
   * transport/link-traffic.ts). Optional: a transport that does not count says nothing.
   */
  traffic?(): readonly LinkTraffic[];
  /** Closes every connection and stops; later sends reject. */
  close(): Promise<void>;
}

/** Options shared by every transport. Defaults are the ones a mesh of a few dozen peers wants. */
export interface TransportOptions {
  /** Most open (or opening) connections; opening one more closes the least recently used idle one. Default 64. */
  readonly maxConnections?: number;
  /** Close a connection with no traffic for this long, in ms. Default 120_000; 0 = never. */
  readonly idleTimeoutMs?: number;
  /** Give up one connection attempt after this long, in ms. Default 15_000. */
  readonly connectTimeoutMs?: number;
  /** Extra connection attempts after a failure, with exponential backoff. Default 2. */
  readonly connectRetries?: number;
  /** First backoff delay in ms, doubled per retry (with jitter). Default 250. */
  readonly retryDelayMs?: number;
  /** Largest message accepted from a peer, in bytes. Default 256 MiB. */
  readonly maxMessageBytes?: number;
  /** Backpressure watermarks of each channel's send buffer (see protocol/framed-sender.ts). Defaults 4 MiB / 1 MiB. */
  readonly highWaterMark?: number;
  readonly lowWaterMark?: number;
}
