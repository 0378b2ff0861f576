/**
 * Small messages during a big transfer (issue 16, goal 5), on one real WebRTC connection between two
 * node-datachannel transports in this process: while a 64 MiB `result:data` goes from A to B, A pings B every
 * 10 ms through the same Transport (`transport.ping`: a small message A→B, its pong back B→A). The round trip of
 * each ping is the latency a small control message pays on a connection busy with bulk data; p50, p99 and max
 * are reported, with the 64 MiB transfer's own throughput (so an interleaving that starved the bulk transfer would
 * show) and an idle-connection ping as the floor.
 *
 * Goal: p99 ≤ 50 ms during the transfer. Before interleaving, a ping queued behind the 64 MiB message waited for
 * all of it (about 1.5–2 s at this machine's ~40 MB/s).
 *
 * Run inside the network namespace: `pnpm bench interleave`, or
 * bash test/netns/run.sh node --conditions=source --import tsx bench/interleave.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { WireMessage } from '../peer-runtime/src/protocol/messages.js';
import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';
import { createWebRtcTransport } from '../peer-runtime/src/transport/webrtc.js';
import type { BenchResult } from './types.js';

const MiB = 1024 * 1024;
const PAYLOAD = 64 * MiB;
const ROUNDS = 3;
const PING_EVERY_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))] ?? Number.NaN;
};

export async function benchInterleave(): Promise<BenchResult> {
  const hub = new Map<string, (from: string, d: never) => void>();
  const relay = (id: string) => ({
    sendSignal: (to: string, data: unknown) => setImmediate(() => hub.get(to)?.(id, data as never)),
    onSignal: (l: (from: string, d: never) => void) => {
      hub.set(id, l);
      return () => hub.delete(id);
    },
  });
  const ta = createWebRtcTransport({ peerId: 'lat-a', signals: relay('lat-a'), rtc: nodeRtc() });
  const tb = createWebRtcTransport({ peerId: 'lat-b', signals: relay('lat-b'), rtc: nodeRtc() });
  const payload = new Uint8Array(randomBytes(PAYLOAD));
  const during: number[] = [];
  const idle: number[] = [];
  const transferMs: number[] = [];
  try {
    await ta.connect('lat-b');
    for (let i = 0; i < 20; i++) idle.push(await ta.ping('lat-b'));
    for (let round = 0; round < ROUNDS; round++) {
      const arrived = new Promise<void>((resolve, reject) => {
        const off = tb.onMessage((_from, m: WireMessage) => {
          if (m.type !== 'result:data') return;
          off();
          if (m.bytes.byteLength === PAYLOAD) resolve();
          else reject(new Error(`got ${m.bytes.byteLength} bytes, expected ${PAYLOAD}`));
        });
      });
      const t0 = performance.now();
      let done = false;
      const big = ta.send('lat-b', { type: 'result:data', requestId: round, hash: 'big', bytes: payload });
      const pings: Promise<void>[] = [];
      const pinger = (async () => {
        await sleep(PING_EVERY_MS); // the transfer is under way
        while (!done) {
          // Every ping sent while the transfer was under way counts, however late its pong comes.
          pings.push(ta.ping('lat-b').then((ms) => void during.push(ms)));
          await sleep(PING_EVERY_MS);
        }
      })();
      await big;
      await arrived;
      done = true;
      transferMs.push(performance.now() - t0);
      await pinger;
      await Promise.allSettled(pings);
    }
  } finally {
    await ta.close();
    await tb.close();
  }
  const metrics = {
    pingsDuringTransfer: during.length,
    smallP50Ms: quantile(during, 0.5),
    smallP99Ms: quantile(during, 0.99),
    smallMaxMs: Math.max(...during),
    idlePingP50Ms: quantile(idle, 0.5),
    transferMBps: PAYLOAD / 1e6 / (Math.min(...transferMs) / 1000),
  };
  const r = (x: number) => x.toFixed(1);
  return {
    name: 'interleave',
    metrics,
    summary:
      `interleave: a small message (ping round trip) during a 64 MiB transfer on the same WebRTC connection: ` +
      `p50 ${r(metrics.smallP50Ms)} ms, p99 ${r(metrics.smallP99Ms)} ms, max ${r(metrics.smallMaxMs)} ms ` +
      `(${metrics.pingsDuringTransfer} pings over ${ROUNDS} transfers; idle connection p50 ${r(metrics.idlePingP50Ms)} ms; ` +
      `goal p99 ≤ 50 ms); the transfer itself ${r(metrics.transferMBps)} MB/s`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchInterleave();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
  process.exit(0);
}
