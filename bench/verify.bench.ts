/**
 * The cost of result verification (issue 11): makespan of a 200-function DAG (10 layers × 20, each function
 * 20 ms of CPU with its estimate declared, two inputs from the layer before) on three one-slot `handout peer`
 * processes over real WebRTC, coordinated in this process through `connect()`, without verification, with
 * `verify: { replicas: 2 }` replicating everything (trustAfter beyond the run), and with the default adaptive
 * policy once every peer has a clean record (spot checks at 10%). Each configuration runs three times,
 * interleaved, with fresh hashes (no cache hits); the medians are reported, with the ratios to unverified.
 * Goal: replicas=2 within 2.1× (the replicas themselves double the work; nothing else should cost).
 *
 * Run: pnpm bench verify (inside the network namespace, as `pnpm bench` arranges).
 */
import type { DagJSON, FunctionSpec, VerifyOptions } from '../peer-runtime/src/index.js';
import { connect } from '../sdk/src/connect.js';
import { startMeshHarness } from '../test/harness/mesh-harness.js';
import type { BenchResult } from './types.js';

const BUSY =
  '(a, b, k, ms) => { const end = performance.now() + ms; while (performance.now() < end) {} return (a + b + k) % 1000003; }';
const LAYERS = 10;
const WIDTH = 20;
const MS = 20;

function dag(salt: number): DagJSON {
  const functions: FunctionSpec[] = [];
  for (let l = 0; l < LAYERS; l++)
    for (let i = 0; i < WIDTH; i++) {
      const k = salt * 1_000_000 + l * 1000 + i;
      functions.push({
        id: `l${l}-${i}`,
        args: l === 0 ? [] : [`l${l - 1}-${i}`, `l${l - 1}-${(i + 1) % WIDTH}`],
        code: {
          kind: 'source',
          source: l === 0 ? `(k, ms) => (${BUSY})(0, 0, k, ms)` : BUSY,
        },
        extraArgs: [k, MS],
        cost: { estimateMs: MS },
      });
    }
  return { format: 'handout-dag', version: 1, functions };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchVerify(): Promise<BenchResult> {
  const h = await startMeshHarness({ mesh: 'bench-verify' });
  try {
    for (const id of ['va', 'vb', 'vc']) h.spawnPeer({ id, flags: ['--concurrency', '1', '--speed', '1'] });
    await h.waitForMembers(['va', 'vb', 'vc']);
    const mesh = await connect({
      signal: h.server.url,
      token: h.token(['submit', 'coordinate'], 'bench-verify-coordinator'),
      coordinator: 'embedded',
    });
    try {
      let salt = 1;
      const timed = async (verify: VerifyOptions | undefined): Promise<{ ms: number; attempts: number }> => {
        const started = performance.now();
        const run = mesh.submit(dag(salt++), verify ? { verify } : {});
        const summary = await run.done;
        const ms = performance.now() - started;
        if (summary.status !== 'succeeded') throw new Error(`verify bench run ${summary.status}`);
        return { ms, attempts: summary.functions.reduce((n, r) => n + r.history.length, 0) };
      };
      await timed(undefined); // warm-up: data channels, JIT, measured speeds
      const always: VerifyOptions = { replicas: 2, trustAfter: 1_000_000 };
      const adaptive: VerifyOptions = { replicas: 2, trustAfter: 20 };
      const off: number[] = [];
      const replicated: number[] = [];
      const spot: number[] = [];
      let replicatedAttempts = 0;
      let spotAttempts = 0;
      // Earn clean records first, so the adaptive runs measure spot checks, not a new peer's full replication.
      await timed(always);
      for (let k = 0; k < 3; k++) {
        off.push((await timed(undefined)).ms);
        const r = await timed(always);
        replicated.push(r.ms);
        replicatedAttempts += r.attempts;
        const s = await timed(adaptive);
        spot.push(s.ms);
        spotAttempts += s.attempts;
      }
      const functions = LAYERS * WIDTH;
      const metrics = {
        functions,
        functionMs: MS,
        offMs: median(off),
        replicas2Ms: median(replicated),
        adaptiveMs: median(spot),
        replicas2Ratio: median(replicated) / median(off),
        adaptiveRatio: median(spot) / median(off),
        replicas2AttemptsPerFunction: replicatedAttempts / (3 * functions),
        adaptiveAttemptsPerFunction: spotAttempts / (3 * functions),
      };
      return {
        name: 'verify',
        metrics,
        summary:
          `${functions} functions of ${MS} ms on 3 one-slot peers: off ${metrics.offMs.toFixed(0)} ms, ` +
          `replicas 2 ${metrics.replicas2Ms.toFixed(0)} ms (${metrics.replicas2Ratio.toFixed(2)}×, goal ≤ 2.1×; ` +
          `${metrics.replicas2AttemptsPerFunction.toFixed(2)} attempts per function), adaptive after clean records ` +
          `${metrics.adaptiveMs.toFixed(0)} ms (${metrics.adaptiveRatio.toFixed(2)}×; ` +
          `${metrics.adaptiveAttemptsPerFunction.toFixed(2)} attempts per function)`,
      };
    } finally {
      await mesh.close();
    }
  } finally {
    await h.close();
  }
}
