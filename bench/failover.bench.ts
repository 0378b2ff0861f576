/**
 * Coordinator failover (issue 13), over real processes: two `handout peer --coordinator` processes, three
 * contributing peers (2 slots each) and a signaling server with its default presence and grace windows, over
 * WebRTC. Each round runs a layered DAG (8 × 40 functions of ~40 ms) once without faults, then again (other
 * hashes) with the active coordinator SIGKILLed once 80 functions are done. Reported, with the default liveness
 * settings (submitter pings every 500 ms, loss after 2000 ms of silence; server grace 3 s):
 * - recoveryMs: from the kill to the first word of the new coordinator (`run:coordinator-changed`), and
 *   progressMs: to the first function that succeeds after it;
 * - gapMs as the run reports it (from the old coordinator's last word);
 * - re-executed work: functions done before the kill that ran again, and functions running at the kill that ran
 *   again, against the functions done before it (from the run's events, which do not show recomputes of
 *   functions the submitter already saw finish), and executions beyond one per function as the peers count them
 *   (`handout_peer_functions_total{outcome="succeeded"}` minus `handout_peer_adopted_total`), which do;
 * - overhead: the faulty run's time over the fault-free run's.
 *
 * Run: pnpm bench failover (inside the network namespace, which `pnpm bench` enters on its own).
 */
import { pathToFileURL } from 'node:url';
import type { DagJSON, FunctionSpec, Run } from '../peer-runtime/src/index.js';
import { connect } from '../sdk/src/connect.js';
import { startMeshHarness } from '../test/harness/mesh-harness.js';
import type { BenchResult } from './types.js';

const ROUNDS = 3;

function layered(salt: string, layers = 8, width = 40, ms = 40): DagJSON {
  const functions: FunctionSpec[] = [];
  const busy = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const args = l === 0 ? [] : [`f${l - 1}-${i}`, `f${l - 1}-${(i + 1) % width}`];
      functions.push({
        id: `f${l}-${i}`,
        args,
        code: {
          kind: 'source',
          source:
            l === 0
              ? `(k, salt) => { ${busy} return k; }`
              : `(a, b, k, salt) => { ${busy} return (a + b + k) % 1000003; }`,
        },
        extraArgs: [l * 1000 + i, salt],
      });
    }
  }
  return { format: 'handout-dag', version: 1, functions };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench failover: condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sum of one Prometheus counter's samples (those whose line contains `labels`) in a scrape. */
function counter(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (labels && !line.includes(labels))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchFailover(): Promise<BenchResult> {
  const recovery: number[] = [];
  const progress: number[] = [];
  const gaps: number[] = [];
  const overheads: number[] = [];
  let doneBeforeTotal = 0;
  let rerunDoneTotal = 0;
  let rerunRunningTotal = 0;
  let runningTotal = 0;
  let extraExecutionsTotal = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const h = await startMeshHarness({ mesh: `bench-failover-${round}`, defaultWindows: true });
    try {
      h.spawnPeer({ id: 'co-a', roles: ['coordinate'], flags: ['--coordinator'] });
      h.spawnPeer({ id: 'co-b', roles: ['coordinate'], flags: ['--coordinator'] });
      const contributors = ['p1', 'p2', 'p3'];
      for (const id of contributors)
        h.spawnPeer({ id, flags: ['--concurrency', '2', '--metrics-port', '0'] });
      await h.waitForMembers(['co-a', 'co-b', 'p1', 'p2', 'p3']);
      for (const co of ['co-a', 'co-b'])
        await h.peers.get(co)!.waitFor((l) => l.event === 'peer:joined' && l.peerId === 'p3', 60_000);
      const urls = await Promise.all(
        contributors.map(async (id) =>
          String((await h.peers.get(id)!.waitFor((l) => l.event === 'metrics')).url),
        ),
      );
      const executions = async (): Promise<number> => {
        let n = 0;
        for (const url of urls) {
          const text = await (await fetch(url)).text();
          n += counter(text, 'handout_peer_functions_total', 'outcome="succeeded"');
          n -= counter(text, 'handout_peer_adopted_total');
        }
        return n;
      };
      const mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
      try {
        await until(() => mesh.peers().length >= 5, 30_000);
        const t0 = Date.now();
        const clean = await mesh.submit(layered(`clean-${round}`)).done;
        if (clean.status !== 'succeeded') throw new Error('bench failover: the fault-free run failed');
        const cleanMs = Date.now() - t0;

        const active = mesh.coordinatorId()!;
        const executedBefore = await executions();
        const t1 = Date.now();
        const run: Run = mesh.submit(layered(`fault-${round}`));
        let changedAt: number | undefined;
        let gapMs = 0;
        let progressAt: number | undefined;
        const startedAfter = new Set<string>();
        run.on('run:coordinator-changed', (e) => {
          changedAt = Date.now();
          gapMs = e.gapMs;
        });
        run.on('task:started', ({ id }) => {
          if (changedAt !== undefined) startedAfter.add(id);
        });
        run.on('task:succeeded', ({ cached }) => {
          if (changedAt !== undefined && progressAt === undefined && !cached) progressAt = Date.now();
        });
        await until(() => run.records().filter((r) => r.status === 'succeeded').length >= 80, 60_000);
        const doneBefore = new Set(
          run
            .records()
            .filter((r) => r.status === 'succeeded')
            .map((r) => r.id),
        );
        const runningBefore = new Set(
          run
            .records()
            .filter((r) => r.status === 'running')
            .map((r) => r.id),
        );
        const killedAt = Date.now();
        h.peers.get(active)!.kill('SIGKILL');
        const summary = await run.done;
        if (summary.status !== 'succeeded' || changedAt === undefined)
          throw new Error(`bench failover: the run did not fail over (${summary.status})`);
        recovery.push(changedAt - killedAt);
        progress.push((progressAt ?? changedAt) - killedAt);
        gaps.push(gapMs);
        overheads.push((Date.now() - t1) / cleanMs);
        doneBeforeTotal += doneBefore.size;
        runningTotal += runningBefore.size;
        rerunDoneTotal += [...startedAfter].filter((id) => doneBefore.has(id)).length;
        rerunRunningTotal += [...startedAfter].filter((id) => runningBefore.has(id)).length;
        extraExecutionsTotal += (await executions()) - executedBefore - summary.functions.length;
      } finally {
        await mesh.close();
      }
    } finally {
      await h.close();
    }
  }
  const metrics = {
    recoveryMsMedian: median(recovery),
    recoveryMsMax: Math.max(...recovery),
    progressMsMedian: median(progress),
    gapMsMedian: median(gaps),
    rerunDoneFraction: rerunDoneTotal / doneBeforeTotal,
    rerunRunning: rerunRunningTotal,
    runningAtKill: runningTotal,
    doneAtKill: doneBeforeTotal,
    extraExecutions: extraExecutionsTotal,
    overheadMedian: median(overheads),
  };
  return {
    name: 'failover',
    metrics,
    summary:
      `${ROUNDS} SIGKILLs of the active coordinator: run on the standby ${metrics.recoveryMsMedian} ms after the kill ` +
      `(median; max ${metrics.recoveryMsMax}), first new result ${metrics.progressMsMedian} ms, gap ${metrics.gapMsMedian} ms; ` +
      `re-executed ${rerunDoneTotal} of ${doneBeforeTotal} done functions and ${rerunRunningTotal} of ${runningTotal} running ones by the run's events, ` +
      `${extraExecutionsTotal} executions beyond one per function by the peers' counters; ` +
      `run time ${metrics.overheadMedian.toFixed(2)}× the fault-free run (defaults: ping 500 ms, loss after 2000 ms)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchFailover().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
