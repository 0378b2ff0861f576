/**
 * The chaos harness (issue 13): a DAG of small functions with verifiable results (layers that each sum two
 * functions of the layer before, and every fifth layer a fan-in of ten) runs on a mesh of real processes — two
 * coordinate members, four contributing peers, the signaling server — while a seeded, bounded fault schedule
 * SIGKILLs and restarts contributors, SIGSTOPs and SIGCONTs them, cuts one off the network while its process
 * lives (iptables drops its UDP sockets, so its data channels go silent; network-cut.ts), SIGKILLs and restarts
 * the run's coordinator, and restarts the signaling server (same port and secret, empty registry: every peer
 * reconnects and joins again). Every scenario checks every result, and reports faults injected, attempts that
 * failed (work re-run), time without a coordinator and the overhead against a fault-free run of the same shape.
 *
 * Bounds, so that every scenario can finish: one fault at a time, each undone after 1–3 s (the signaling server
 * is down 0.5–1.5 s). The signaling server runs in this process (test/harness), so its restart is a close and a
 * new server, not a SIGKILL (test/mesh/signaling-restart-processes.test.ts SIGKILLs a `handout signal`).
 *
 * Run `pnpm chaos --seed N --minutes M` (test/chaos/main.ts), or the short fixed-seed test/chaos/chaos.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagJSON, FunctionSpec, RunEvents } from '../../peer-runtime/src/index.js';
import { connect } from '../../sdk/src/connect.js';
import { type MeshHarness, type PeerProcess, startMeshHarness } from '../harness/mesh-harness.js';
import { cutNetwork } from './network-cut.js';

export interface ChaosOptions {
  readonly seed: number;
  /** Layers × width of the DAG. Default 20 × 100 (2,000 functions). */
  readonly layers?: number;
  readonly width?: number;
  /** Busy time of each function, ms. Default 3. */
  readonly functionMs?: number;
  /** Pause between faults, ms, drawn in [min, max]. Default [800, 2000]. */
  readonly faultEveryMs?: readonly [number, number];
  /** The first faults, whatever the dice say (a short scenario that must include given kinds). Default: drawn. */
  readonly firstFaults?: readonly FaultKind[];
  /** The faulty run must end within this long (else the scenario fails, naming what is open). Default 300 000. */
  readonly deadlineMs?: number;
  readonly log?: (line: string) => void;
}

export type FaultKind = 'kill-peer' | 'stop-peer' | 'cut-peer' | 'kill-coordinator' | 'restart-signaling';

export interface ChaosReport {
  readonly seed: number;
  readonly functions: number;
  readonly correct: boolean;
  /** Functions whose result was wrong or missing, at most 10, for the failure message. */
  readonly wrong: readonly string[];
  readonly faults: Readonly<Record<string, number>>;
  /** Attempts that ended in an error (lost peers, moved runs): work done again. */
  readonly failedAttempts: number;
  readonly coordinatorChanges: number;
  readonly withoutCoordinatorMs: number;
  readonly cleanMs: number;
  readonly faultyMs: number;
}

/** mulberry32: a small seeded PRNG, so a failing seed replays the same schedule. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chaosDag(
  salt: string,
  layers: number,
  width: number,
  ms: number,
): { dag: DagJSON; expected: Map<string, number> } {
  const functions: FunctionSpec[] = [];
  const expected = new Map<string, number>();
  const busy = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const id = `c${l}-${i}`;
      const k = l * 10_000 + i;
      let args: string[];
      if (l === 0) args = [];
      else if (l % 5 === 0)
        args = Array.from({ length: 10 }, (_, j) => `c${l - 1}-${(i + j * 7) % width}`); // fan-in of ten
      else args = [`c${l - 1}-${i}`, `c${l - 1}-${(i + 1) % width}`];
      functions.push({
        id,
        args,
        code: {
          kind: 'source',
          source: `(...xs) => { ${busy} const k = xs[xs.length - 2]; let s = k; for (let j = 0; j < xs.length - 2; j++) s += xs[j]; return s % 1000003; }`,
        },
        extraArgs: [k, salt],
      });
      expected.set(id, args.reduce((s, a) => s + expected.get(a)!, k) % 1000003);
    }
  }
  return { dag: { format: 'handout-dag', version: 1, functions }, expected };
}

const sleep = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));

/**
 * `promise` raced against a timer that is cleared when the race ends: a scenario must leave no timer behind
 * (the process exits by itself once every scenario ended; the 300 s deadline and 2,000 result timers kept it
 * up for minutes before).
 */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const random = prng(options.seed);
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  // Every line says when, in seconds since the faulty run was submitted (since the scenario began before that),
  // so a gap without a coordinator can be split into detection, search and takeover from the lines alone.
  let epoch = Date.now();
  const log = (line: string): void =>
    (options.log ?? (() => {}))(`+${((Date.now() - epoch) / 1000).toFixed(1)}s ${line}`);
  const layers = options.layers ?? 20;
  const width = options.width ?? 100;
  const ms = options.functionMs ?? 3;
  const [minGap, maxGap] = options.faultEveryMs ?? [800, 2000];
  const caches = mkdtempSync(join(tmpdir(), 'handout-chaos-'));
  const faults: Record<string, number> = {};
  let h: MeshHarness | undefined;
  try {
    h = await startMeshHarness({ mesh: `chaos-${options.seed}` });
    const harness = h;
    const coordinators = ['co-a', 'co-b'];
    const contributors = ['p1', 'p2', 'p3', 'p4'];
    // Every process started, restarted ones too (the harness keeps only the latest per id): a failed scenario
    // writes all their output to a file (keepLogs), so its cause can be read from the coordinators' side.
    const started: PeerProcess[] = [];
    // Each peer keeps its cache directory across restarts, as a real one under a stable id does.
    const spawn = (id: string) => {
      const p = harness.spawnPeer({
        id,
        cacheDir: join(caches, id),
        ...(coordinators.includes(id)
          ? { roles: ['coordinate'], flags: ['--coordinator'] }
          : { flags: ['--concurrency', '2'] }),
      });
      started.push(p);
      return p;
    };
    for (const id of [...coordinators, ...contributors]) spawn(id);
    // Generous: seven processes transpiling their sources at once on a shared two-core machine took over 60 s.
    await harness.waitForMembers([...coordinators, ...contributors], undefined, 240_000);
    // Each coordinator must know every contributor: from its own `joined` line (the members already there) or a
    // `peer:joined` after it (waiting for `peer:joined` alone hung seed 7: co-a joined after p4 had).
    for (const co of coordinators)
      for (const id of contributors)
        await harness.peers
          .get(co)!
          .waitFor(
            (l) =>
              (l.event === 'peer:joined' && l.peerId === id) ||
              (l.event === 'joined' && Array.isArray(l.peers) && l.peers.includes(id)),
            120_000,
          );
    const mesh = await connect({ signal: harness.server.url, token: harness.token(['submit'], 'submitter') });
    try {
      while (mesh.peers().length < 6) await sleep(50);
      const t0 = Date.now();
      const clean = await mesh.submit(chaosDag(`clean-${options.seed}`, layers, width, ms).dag).done;
      const cleanMs = Date.now() - t0;
      if (clean.status !== 'succeeded') throw new Error(`chaos: the fault-free run ended ${clean.status}`);

      const { dag, expected } = chaosDag(`chaos-${options.seed}`, layers, width, ms);
      const t1 = Date.now();
      epoch = t1;
      const run = mesh.submit(dag);
      let coordinator = mesh.coordinatorId()!;
      const changes: RunEvents['run:coordinator-changed'][] = [];
      let lastCoordinatorKill: number | undefined;
      run.on('run:coordinator-changed', (e) => {
        changes.push(e);
        coordinator = e.to;
        const kill =
          lastCoordinatorKill === undefined ? '' : `, ${Date.now() - lastCoordinatorKill} ms after the kill`;
        log(`coordinator ${e.from} → ${e.to} (${e.reason}), ${e.gapMs} ms without one${kill}`);
      });
      let ended = false;
      const done = run.done.then((s) => {
        ended = true;
        return s;
      });
      let injected = 0;
      const count = (kind: string) => {
        faults[kind] = (faults[kind] ?? 0) + 1;
      };
      // The schedule: one fault at a time, each undone before the next (bounded, so the run can finish).
      const deadlineMs = options.deadlineMs ?? 300_000;
      while (!ended && Date.now() < t1 + deadlineMs) {
        await within(done, between(minGap, maxGap), undefined);
        if (ended) break;
        const dice = random();
        const forced = options.firstFaults?.[injected];
        injected++;
        const kind: FaultKind =
          forced ??
          (dice < 0.25
            ? 'kill-peer'
            : dice < 0.5
              ? 'stop-peer'
              : dice < 0.7
                ? 'cut-peer'
                : dice < 0.9
                  ? 'kill-coordinator'
                  : 'restart-signaling');
        count(kind);
        if (kind === 'kill-peer') {
          const id = contributors[Math.floor(random() * contributors.length)]!;
          log(`SIGKILL ${id}`);
          const p = harness.peers.get(id)!;
          p.kill('SIGKILL');
          await p.exited;
          await within(done, between(1000, 3000), undefined);
          spawn(id);
        } else if (kind === 'stop-peer') {
          const id = contributors[Math.floor(random() * contributors.length)]!;
          log(`SIGSTOP ${id}`);
          const p = harness.peers.get(id)!;
          p.kill('SIGSTOP');
          await within(done, between(1000, 3000), undefined);
          p.kill('SIGCONT');
        } else if (kind === 'cut-peer') {
          const id = contributors[Math.floor(random() * contributors.length)]!;
          const cut = await cutNetwork(harness.peers.get(id)!.child.pid!);
          log(`network cut ${id} (UDP ports ${cut.ports.join(', ')})`);
          try {
            await within(done, between(1000, 3000), undefined);
          } finally {
            await cut.undo();
          }
        } else if (kind === 'kill-coordinator') {
          const id = coordinator;
          log(`SIGKILL coordinator ${id}`);
          const p = harness.peers.get(id)!;
          lastCoordinatorKill = Date.now();
          p.kill('SIGKILL');
          await p.exited;
          await within(done, between(1000, 3000), undefined);
          const restarted = spawn(id);
          log(`restart coordinator ${id}`);
          // When it is a member again (a takeover that lands on it cannot start before). Read from its output
          // rather than `waitFor`, whose timer would outlive a scenario that ends first.
          const onJoined = (chunk: Buffer): void => {
            if (!/"event"\s*:\s*"joined"/.test(chunk.toString())) return;
            restarted.child.stdout?.off('data', onJoined);
            log(`restarted coordinator ${id} joined`);
          };
          restarted.child.stdout?.on('data', onJoined);
        } else {
          const downMs = between(500, 1500);
          log(`signaling server restart (${downMs} ms down)`);
          await harness.restartServer(downMs);
        }
      }
      const summary = await within(done, Math.max(0, t1 + deadlineMs - Date.now()), undefined);
      const faultyMs = Date.now() - t1;
      if (!summary) {
        // A hung run is a failure to report (with what hangs), not a test that never returns.
        const endedStatuses = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);
        const open = run.records().filter((r) => !endedStatuses.has(r.status));
        const shown = open
          .slice(0, 10)
          .map((r) => `${r.id} ${r.status} (attempt ${r.attempts} on ${r.peer ?? 'none'})`);
        const wrong = [
          `the run did not end within ${deadlineMs} ms; ${open.length} open: ${shown.join(', ')}`,
          `logs: ${keepLogs(options.seed, started, run.records())}`,
        ];
        return {
          seed: options.seed,
          functions: expected.size,
          correct: false,
          wrong,
          faults,
          failedAttempts: 0,
          coordinatorChanges: changes.length,
          withoutCoordinatorMs: changes.reduce((sum, c) => sum + c.gapMs, 0),
          cleanMs,
          faultyMs,
        };
      }
      const wrong: string[] = [];
      // In parallel chunks, each result bounded: a result no holder gives must show up as wrong, not as a hang.
      const entries = [...expected];
      for (let i = 0; i < entries.length && wrong.length < 10; i += 100) {
        const got = await Promise.all(
          entries.slice(i, i + 100).map(([id]) =>
            within(
              run.result(id).catch((e: unknown) => `error: ${(e as Error).message}`),
              20_000,
              'error: no result within 20 s',
            ),
          ),
        );
        got.forEach((value, k) => {
          const [id, want] = entries[i + k]!;
          if (value !== want && wrong.length < 10) wrong.push(`${id}: ${String(value)} (expected ${want})`);
        });
      }
      const correct = summary.status === 'succeeded' && wrong.length === 0;
      if (!correct)
        wrong.push(`run ${summary.status}; logs: ${keepLogs(options.seed, started, summary.functions)}`);
      const failedAttempts = summary.functions.reduce(
        (n, r) => n + r.history.filter((a) => a.error !== undefined).length,
        0,
      );
      return {
        seed: options.seed,
        functions: expected.size,
        correct,
        wrong,
        faults,
        failedAttempts,
        coordinatorChanges: changes.length,
        withoutCoordinatorMs: changes.reduce((s, c) => s + c.gapMs, 0),
        cleanMs,
        faultyMs,
      };
    } finally {
      await mesh.close();
    }
  } finally {
    // Stopped processes must be continued before they can be killed for good.
    for (const p of h?.peers.values() ?? []) if (p.child.exitCode === null) p.kill('SIGCONT');
    await h?.close();
    rmSync(caches, { recursive: true, force: true });
  }
}

/**
 * Writes what every process of a failed scenario printed, and the submitter's records of the functions that did
 * not succeed (status, attempts, each attempt's peer and error), to a file in the temporary directory; returns
 * its path for the report.
 */
function keepLogs(
  seed: number,
  processes: readonly PeerProcess[],
  records: readonly {
    id: string;
    status: string;
    history: readonly { peer?: string; error?: unknown }[];
  }[],
): string {
  const path = join(tmpdir(), `handout-chaos-seed-${seed}-${Date.now()}.log`);
  const failing = records
    .filter((r) => r.status !== 'succeeded')
    .map((r) => `${r.id} ${r.status}: ${JSON.stringify(r.history)}`);
  const parts = processes.map(
    (p, i) =>
      `--- ${p.id} (process ${i}, exit ${String(p.child.exitCode ?? p.child.signalCode)}) ---\n` +
      `${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${p.stderr.join('')}`,
  );
  writeFileSync(path, [`--- submitter: functions not succeeded ---`, ...failing, ...parts].join('\n'));
  return path;
}

export function describeReport(r: ChaosReport): string {
  const faults = Object.entries(r.faults)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return (
    `seed ${r.seed}: ${r.correct ? 'all correct' : `WRONG (${r.wrong.join('; ')})`}, ${r.functions} functions; ` +
    `faults: ${faults || 'none'}; ${r.failedAttempts} failed attempts re-run; ${r.coordinatorChanges} coordinator ` +
    `changes, ${r.withoutCoordinatorMs} ms without one; ${r.faultyMs} ms against ${r.cleanMs} ms fault-free ` +
    `(${(r.faultyMs / r.cleanMs).toFixed(2)}×)`
  );
}
