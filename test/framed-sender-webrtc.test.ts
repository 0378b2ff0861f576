/**
 * FramedSender's backpressure over a real node-datachannel connection (two RTCPeerConnections in this process,
 * host candidates only): the channel's `bufferedAmount` never exceeds the high-water mark by more than one
 * frame, the sender waits for the channel to drain (its `bufferedamountlow` fires and the sender resumes), and
 * every byte arrives. Run inside test/netns/run.sh so no packet leaves the machine (the ICE list is empty).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../peer-runtime/src/protocol/codec.js';
import { type DataChannelLike, FramedSender } from '../peer-runtime/src/protocol/framed-sender.js';
import { frameSizeFor, Reassembler } from '../peer-runtime/src/protocol/framing.js';
import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';

const MiB = 1024 * 1024;

interface Pair {
  readonly sending: RTCDataChannel;
  readonly receiving: RTCDataChannel;
  readonly frameSize: number;
  close(): void;
}

/** Two connected peer connections and the open data channel between them. */
async function connectedPair(): Promise<Pair> {
  const { RTCPeerConnection } = nodeRtc();
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  a.onicecandidate = (e) => {
    if (e.candidate) void b.addIceCandidate(e.candidate);
  };
  b.onicecandidate = (e) => {
    if (e.candidate) void a.addIceCandidate(e.candidate);
  };
  const sending = a.createDataChannel('framed-sender-test');
  sending.binaryType = 'arraybuffer';
  const receiving = new Promise<RTCDataChannel>((resolve) => {
    b.ondatachannel = (e) => {
      e.channel.binaryType = 'arraybuffer';
      resolve(e.channel);
    };
  });
  const opened = new Promise<void>((resolve) => sending.addEventListener('open', () => resolve()));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  await opened;
  return {
    sending,
    receiving: await receiving,
    frameSize: frameSizeFor(a.sctp?.maxMessageSize),
    close() {
      a.close();
      b.close();
    },
  };
}

/**
 * The sending channel as FramedSender sees it, recording `bufferedAmount` after every frame handed over and
 * how often the channel's `bufferedamountlow` reached the sender.
 */
function observed(
  channel: RTCDataChannel,
): DataChannelLike & { peak: number; frames: number; drains: number } {
  const view = {
    peak: 0,
    frames: 0,
    drains: 0,
    get readyState() {
      return channel.readyState;
    },
    get bufferedAmount() {
      return channel.bufferedAmount;
    },
    get bufferedAmountLowThreshold() {
      return channel.bufferedAmountLowThreshold;
    },
    set bufferedAmountLowThreshold(value: number) {
      channel.bufferedAmountLowThreshold = value;
    },
    send(data: Uint8Array) {
      channel.send(data as Uint8Array<ArrayBuffer>);
      view.frames++;
      view.peak = Math.max(view.peak, channel.bufferedAmount);
    },
    addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void) {
      channel.addEventListener(type, type === 'bufferedamountlow' ? counted(listener) : listener);
    },
    removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void) {
      channel.removeEventListener(type, type === 'bufferedamountlow' ? counted(listener) : listener);
    },
  };
  const wrappers = new Map<() => void, () => void>();
  const counted = (listener: () => void): (() => void) => {
    let wrapper = wrappers.get(listener);
    if (!wrapper) {
      wrapper = () => {
        view.drains++;
        listener();
      };
      wrappers.set(listener, wrapper);
    }
    return wrapper;
  };
  return view;
}

describe('FramedSender over a real data channel', () => {
  let pair: Pair | undefined;
  afterEach(() => {
    pair?.close();
    pair = undefined;
  });

  it('keeps bufferedAmount within one frame of the high-water mark, waits for drains, and delivers every byte', async () => {
    pair = await connectedPair();
    const high = 1 * MiB;
    const low = 256 * 1024;
    const channel = observed(pair.sending);
    const sender = new FramedSender(channel, {
      frameSize: pair.frameSize,
      highWaterMark: high,
      lowWaterMark: low,
    });
    const payload = new Uint8Array(randomBytes(24 * MiB));
    const reassembler = new Reassembler();
    const arrived = new Promise<Uint8Array>((resolve, reject) => {
      pair!.receiving.addEventListener('message', (event: MessageEvent) => {
        try {
          const bytes = reassembler.push(new Uint8Array(event.data as ArrayBuffer));
          if (bytes) resolve(bytes);
        } catch (error) {
          reject(error);
        }
      });
    });
    await sender.send(encodeMessage({ type: 'result:data', requestId: 1, hash: 'h', bytes: payload }));
    const message = decodeMessage(await arrived);

    expect(pair.frameSize).toBeLessThanOrEqual(64 * 1024);
    expect(channel.frames).toBeGreaterThan(payload.byteLength / pair.frameSize);
    // The buffer did reach the mark (so backpressure was needed), and never went more than a frame past it.
    expect(channel.peak).toBeGreaterThan(high);
    expect(channel.peak).toBeLessThanOrEqual(high + pair.frameSize);
    // The sender stopped at the mark and was woken by the channel draining, many times over 24 MiB.
    expect(channel.drains).toBeGreaterThan(5);
    expect(sender.queuedBytes).toBe(0);
    expect(message.type).toBe('result:data');
    expect(message.type === 'result:data' && Buffer.from(message.bytes).equals(Buffer.from(payload))).toBe(
      true,
    );
    sender.close();
  });
});
