/**
 * Transport benchmarks, two node-datachannel peers in this process:
 * 1. Throughput of a 64 MiB payload through the framed protocol (codec + 64 KiB framing + backpressure +
 *    reassembly + decode, exactly the transport's data path) against a raw pump of 64 KiB messages with the
 *    same backpressure, alternating on the SAME data channel in one run; plus the same payload through the whole
 *    WebRTC Transport (`send` → `onMessage`). Goal: framed ≥ 90% of raw.
 * 2. Time to connect two peers through the real signaling server: join (socket.io connect + join) to open data
 *    channel, and `connect()` (signal exchange) to open channel; median and p95 over 20 pairs.
 *
 * Run inside the network namespace: test/netns/run.sh node --conditions=source --import tsx bench/transport.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { decodeMessage, encodeMessage } from '../peer-runtime/src/protocol/codec.js';
import { type DataChannelLike, FramedSender } from '../peer-runtime/src/protocol/framed-sender.js';
import { frameSizeFor, Reassembler } from '../peer-runtime/src/protocol/framing.js';
import { connectSignaling } from '../peer-runtime/src/signaling/client.js';
import type { PeerCapabilities } from '../peer-runtime/src/signaling/contract.js';
import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';
import { createWebRtcTransport } from '../peer-runtime/src/transport/webrtc.js';
import { createSignalingServer } from '../signaling-server/src/index.js';
import type { BenchResult } from './types.js';

/** The part of a simple-peer instance this benchmark uses (simple-peer is peer-runtime's dependency, not bench's). */
interface SimplePeer {
  on(event: 'signal', listener: (data: unknown) => void): void;
  on(event: 'data', listener: (data: Uint8Array) => void): void;
  once(event: 'connect', listener: () => void): void;
  off(event: 'data', listener: (data: Uint8Array) => void): void;
  signal(data: unknown): void;
  destroy(): void;
}
const SimplePeer = createRequire(new URL('../peer-runtime/package.json', import.meta.url))(
  'simple-peer',
) as new (
  options: Record<string, unknown>,
) => SimplePeer;

const MiB = 1024 * 1024;
const PAYLOAD = 64 * MiB;
const HIGH = 4 * MiB;
const LOW = 1 * MiB;

async function peerPair(): Promise<[SimplePeer, SimplePeer]> {
  const wrtc = nodeRtc();
  const a = new SimplePeer({ initiator: true, trickle: true, config: { iceServers: [] }, wrtc });
  const b = new SimplePeer({ initiator: false, trickle: true, config: { iceServers: [] }, wrtc });
  a.on('signal', (d: unknown) => setImmediate(() => b.signal(d)));
  b.on('signal', (d: unknown) => setImmediate(() => a.signal(d)));
  await Promise.all([
    new Promise<void>((r) => a.once('connect', r)),
    new Promise<void>((r) => b.once('connect', r)),
  ]);
  return [a, b];
}

const channelOf = (p: SimplePeer) => (p as unknown as { _channel: DataChannelLike })._channel;
const maxMessageSizeOf = (p: SimplePeer) =>
  (p as unknown as { _pc: { sctp?: { maxMessageSize?: number } } })._pc.sctp?.maxMessageSize;

/** Raw: 64 KiB views of the payload, straight to the channel, with the same watermarks. Resolves when all arrived. */
async function rawPump(a: SimplePeer, b: SimplePeer, payload: Uint8Array): Promise<number> {
  const channel = channelOf(a);
  const chunk = frameSizeFor(maxMessageSizeOf(a));
  let received = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    const onData = (d: Uint8Array) => {
      received += d.byteLength;
      if (received >= payload.byteLength) {
        b.off('data', onData);
        resolve();
      }
    };
    b.on('data', onData);
  });
  channel.bufferedAmountLowThreshold = LOW;
  let offset = 0;
  while (offset < payload.byteLength) {
    if (channel.bufferedAmount > HIGH) {
      await new Promise<void>((r) => {
        const on = () => {
          channel.removeEventListener('bufferedamountlow', on);
          r();
        };
        channel.addEventListener('bufferedamountlow', on);
      });
    }
    channel.send(payload.subarray(offset, offset + chunk));
    offset += chunk;
  }
  await done;
  return performance.now() - t0;
}

/** Framed: one `result:data` message carrying the payload, through codec, framing and backpressure. */
async function framedPump(a: SimplePeer, b: SimplePeer, payload: Uint8Array): Promise<number> {
  const sender = new FramedSender(channelOf(a), {
    frameSize: frameSizeFor(maxMessageSizeOf(a)),
    highWaterMark: HIGH,
    lowWaterMark: LOW,
  });
  const reassembler = new Reassembler();
  const t0 = performance.now();
  const done = new Promise<void>((resolve, reject) => {
    const onData = (d: Uint8Array) => {
      const bytes = reassembler.push(d);
      if (!bytes) return;
      b.off('data', onData);
      const m = decodeMessage(bytes);
      if (m.type === 'result:data' && m.bytes.byteLength === payload.byteLength) resolve();
      else reject(new Error('wrong message'));
    };
    b.on('data', onData);
  });
  await sender.send(encodeMessage({ type: 'result:data', requestId: 1, hash: 'bench', bytes: payload }));
  await done;
  sender.close();
  return performance.now() - t0;
}

const mbps = (ms: number) => PAYLOAD / 1e6 / (ms / 1000);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

async function throughput(): Promise<Record<string, number>> {
  const payload = new Uint8Array(randomBytes(PAYLOAD));
  const [a, b] = await peerPair();
  const raw: number[] = [];
  const framed: number[] = [];
  await rawPump(a, b, payload.subarray(0, 8 * MiB)); // warm-up
  for (let round = 0; round < 3; round++) {
    raw.push(await rawPump(a, b, payload));
    framed.push(await framedPump(a, b, payload));
  }
  a.destroy();
  b.destroy();

  // The whole Transport (hello, connection bookkeeping included), same payload.
  const hubListeners = new Map<string, (from: string, d: never) => void>();
  const relay = (id: string) => ({
    sendSignal: (to: string, data: unknown) => setImmediate(() => hubListeners.get(to)?.(id, data as never)),
    onSignal: (l: (from: string, d: never) => void) => {
      hubListeners.set(id, l);
      return () => hubListeners.delete(id);
    },
  });
  const ta = createWebRtcTransport({ peerId: 'bench-a', signals: relay('bench-a'), rtc: nodeRtc() });
  const tb = createWebRtcTransport({ peerId: 'bench-b', signals: relay('bench-b'), rtc: nodeRtc() });
  await ta.connect('bench-b');
  const transportMs: number[] = [];
  for (let round = 0; round < 2; round++) {
    const got = new Promise<void>((resolve) => {
      const off = tb.onMessage(() => {
        off();
        resolve();
      });
    });
    const t0 = performance.now();
    await ta.send('bench-b', { type: 'result:data', requestId: round, hash: 'bench', bytes: payload });
    await got;
    transportMs.push(performance.now() - t0);
  }
  await ta.close();
  await tb.close();

  const rawBest = Math.min(...raw);
  const framedBest = Math.min(...framed);
  return {
    rawMBps: mbps(rawBest),
    framedMBps: mbps(framedBest),
    framedToRawRatio: rawBest / framedBest,
    rawMedianMBps: mbps(median(raw)),
    framedMedianMBps: mbps(median(framed)),
    transportMBps: mbps(Math.min(...transportMs)),
  };
}

const CAPS: PeerCapabilities = {
  platform: 'node',
  cores: 1,
  memoryMB: 512,
  gpu: false,
  tags: [],
  costRate: 0,
  speed: 1,
};

async function connectTimes(pairs = 20): Promise<Record<string, number>> {
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1' });
  const joinToOpen: number[] = [];
  const connectToOpen: number[] = [];
  try {
    for (let i = 0; i < pairs; i++) {
      const ids = [`a-${i}`, `b-${i}`] as const;
      const t0 = performance.now();
      const [ca, cb] = await Promise.all(
        ids.map((peerId) =>
          connectSignaling({
            url: server.url,
            token: server.issueToken({ mesh: 'bench', roles: ['contribute'], sub: peerId }),
            peerId,
            capabilities: CAPS,
          }),
        ),
      );
      const ta = createWebRtcTransport({ peerId: ids[0], signals: ca!, directory: ca!, rtc: nodeRtc() });
      const tb = createWebRtcTransport({ peerId: ids[1], signals: cb!, directory: cb!, rtc: nodeRtc() });
      const t1 = performance.now();
      await ta.connect(ids[1]);
      const t2 = performance.now();
      joinToOpen.push(t2 - t0);
      connectToOpen.push(t2 - t1);
      await ta.close();
      await tb.close();
      await ca!.close();
      await cb!.close();
    }
  } finally {
    await server.close();
  }
  return {
    joinToOpenMedianMs: median(joinToOpen),
    joinToOpenP95Ms: p95(joinToOpen),
    connectToOpenMedianMs: median(connectToOpen),
    connectToOpenP95Ms: p95(connectToOpen),
    pairs,
  };
}

export async function benchTransport(): Promise<BenchResult> {
  const t = await throughput();
  const c = await connectTimes();
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    name: 'transport',
    metrics: { ...t, ...c },
    summary:
      `transport: 64 MiB framed ${r(t.framedMBps!)} MB/s vs raw ${r(t.rawMBps!)} MB/s on the same channel ` +
      `(ratio ${(t.framedToRawRatio! * 100).toFixed(0)}%, goal ≥ 90%); whole Transport ${r(t.transportMBps!)} MB/s; ` +
      `connect join→open median ${r(c.joinToOpenMedianMs!)} ms p95 ${r(c.joinToOpenP95Ms!)} ms, ` +
      `signals→open median ${r(c.connectToOpenMedianMs!)} ms p95 ${r(c.connectToOpenP95Ms!)} ms (${c.pairs} pairs)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchTransport();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
  process.exit(0);
}
