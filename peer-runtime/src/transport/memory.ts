/**
 * In-memory transport for fast tests of the layers above (coordinator, fetches). Peers of one MemoryNetwork
 * reach each other by id. Messages still go through the real codec, framing and backpressure: each link is a
 * pair of in-process channels that copy every frame, deliver it on a later tick, keep a `bufferedAmount`,
 * fire `bufferedamountlow`, and throw on a frame above `maxMessageSize` as Chrome does, so bugs in those
 * layers show up here too.
 */

import { type Dialer, type FrameLink, type LinkCloseReason, PeerUnreachableError } from './frame-link.js';
import { createFramedTransport, type FramedTransport } from './framed-transport.js';
import type { Transport, TransportOptions } from './types.js';

export interface MemoryNetworkOptions {
  /** Largest frame a channel accepts (what `sctp.maxMessageSize` would say). Default 64 KiB. */
  readonly maxMessageSize?: number;
  /** Bytes one channel delivers per event-loop turn; models a link of finite speed so backpressure engages. Default 1 MiB. */
  readonly bytesPerTick?: number;
}

type ChannelEvent = 'bufferedamountlow' | 'close';

/** One end of an in-process channel pair. */
class MemoryChannel {
  readyState: 'open' | 'closed' = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  peer!: MemoryChannel;
  onFrame: ((frame: Uint8Array) => void) | undefined;
  onRemoteClose: (() => void) | undefined;
  private readonly queue: Uint8Array[] = [];
  private scheduled = false;
  private readonly listeners = new Map<ChannelEvent, Set<() => void>>();

  constructor(
    private readonly maxMessageSize: number,
    private readonly bytesPerTick: number,
  ) {}

  addEventListener(type: ChannelEvent, listener: () => void): void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener);
  }

  removeEventListener(type: ChannelEvent, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  private dispatch(type: ChannelEvent): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l();
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error("RTCDataChannel.readyState is not 'open'");
    if (data.byteLength > this.maxMessageSize) {
      throw new TypeError(
        `message of ${data.byteLength} bytes exceeds maxMessageSize ${this.maxMessageSize}`,
      );
    }
    this.queue.push(data.slice());
    this.bufferedAmount += data.byteLength;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.scheduled = false;
    if (this.readyState !== 'open') return;
    const before = this.bufferedAmount;
    let budget = this.bytesPerTick;
    while (this.queue.length > 0 && budget > 0) {
      const frame = this.queue.shift()!;
      this.bufferedAmount -= frame.byteLength;
      budget -= frame.byteLength;
      this.peer.onFrame?.(frame);
      if (this.readyState !== 'open') return;
    }
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) {
      this.dispatch('bufferedamountlow');
    }
    if (this.queue.length > 0) this.schedule();
  }

  /** Closes both ends; the remote end learns of it on a later tick, as over a network. */
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.queue.length = 0;
    this.bufferedAmount = 0;
    this.dispatch('close');
    const remote = this.peer;
    setImmediate(() => {
      if (remote.readyState === 'closed') return;
      remote.readyState = 'closed';
      remote.queue.length = 0;
      remote.dispatch('close');
      remote.onRemoteClose?.();
    });
  }
}

function memoryLink(channel: MemoryChannel, frameSize: number): FrameLink {
  return {
    channel,
    frameSize,
    onFrame(listener) {
      channel.onFrame = listener;
    },
    onClosed(listener: (reason: LinkCloseReason) => void) {
      channel.onRemoteClose = () => listener('remote-closed');
    },
    close() {
      channel.onRemoteClose = undefined;
      channel.close();
    },
  };
}

/** The hub: peers register by id and open links to each other. */
export class MemoryNetwork {
  readonly maxMessageSize: number;
  readonly bytesPerTick: number;
  private readonly peers = new Map<string, FramedTransport>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? 64 * 1024;
    this.bytesPerTick = options.bytesPerTick ?? 1024 * 1024;
  }

  /** Ids of the peers currently on the network. */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /** @internal used by createMemoryTransport */
  register(peerId: string, transport: FramedTransport): void {
    if (this.peers.has(peerId)) throw new Error(`peer id '${peerId}' is already on this memory network`);
    this.peers.set(peerId, transport);
  }

  /** @internal */
  unregister(peerId: string, transport: FramedTransport): void {
    if (this.peers.get(peerId) === transport) this.peers.delete(peerId);
  }

  /** @internal opens a link from `from` to `to`: undefined when `to` is not on the network, 'refused' when it declined. */
  open(from: string, to: string): FrameLink | 'refused' | undefined {
    const target = this.peers.get(to);
    if (!target) return undefined;
    const a = new MemoryChannel(this.maxMessageSize, this.bytesPerTick);
    const b = new MemoryChannel(this.maxMessageSize, this.bytesPerTick);
    a.peer = b;
    b.peer = a;
    const frameSize = Math.min(64 * 1024, this.maxMessageSize);
    target.accept(from, memoryLink(b, frameSize));
    if (b.readyState !== 'open') return 'refused';
    return memoryLink(a, frameSize);
  }
}

export function createMemoryTransport(
  network: MemoryNetwork,
  peerId: string,
  options: TransportOptions = {},
): Transport {
  let transport: FramedTransport | undefined;
  const dialer: Dialer = {
    async dial(remote) {
      const link = network.open(peerId, remote);
      if (!link) throw new PeerUnreachableError(remote, `peer '${remote}' is not on the network`);
      if (link === 'refused') throw new Error(`peer '${remote}' refused the connection`);
      return link;
    },
    close() {
      if (transport) network.unregister(peerId, transport);
    },
  };
  transport = createFramedTransport(peerId, dialer, options);
  network.register(peerId, transport);
  return transport;
}
