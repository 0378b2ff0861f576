/**
 * `pnpm chaos [--seed N] [--minutes M] [--seeds K]`: runs chaos scenarios (chaos.ts) with seeds N, N+1, …
 * (default N = 1), printing a report line per scenario.
 * - `--seeds K`: exactly K scenarios (seeds N … N+K-1), all of them even when one fails; then a summary line
 *   (scenarios, faults injected, wall time) and the seeds that failed; exits 1 if any did.
 * - `--minutes M` (without --seeds): scenarios until M minutes have passed (default: one); the first with a
 *   wrong or missing result stops the loop, prints its seed (replay it with `--seed <it>`) and exits 1.
 * Re-executes itself inside the network namespace (test/netns/run.sh) unless already there.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChaosReport, describeReport, runChaos } from './chaos.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`chaos: ${name} needs a number, got '${process.argv[i + 1] ?? ''}'`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  if (!process.env.HANDOUT_NETNS) {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const r = spawnSync(
      'bash',
      [join(root, 'test/netns/run.sh'), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      { stdio: 'inherit' },
    );
    process.exit(r.status ?? 1);
  }
  const first = flag('--seed', 1);
  const minutes = flag('--minutes', 0);
  const count = flag('--seeds', 0);
  const until = Date.now() + minutes * 60_000;
  const started = Date.now();
  let faults = 0;
  let scenarios = 0;
  const failed: number[] = [];
  for (let seed = first; count > 0 ? seed < first + count : scenarios === 0 || Date.now() < until; seed++) {
    let report: ChaosReport;
    try {
      report = await runChaos({ seed, log: (line) => console.error(`  [seed ${seed}] ${line}`) });
    } catch (error) {
      // A scenario that could not run (its mesh did not come up) is a failed seed, not the end of the loop.
      console.log(`seed ${seed}: ERROR ${(error as Error).message.split('\n')[0]}`);
      console.error(error);
      scenarios++;
      failed.push(seed);
      if (count === 0) process.exit(1);
      continue;
    }
    scenarios++;
    faults += Object.values(report.faults).reduce((s, n) => s + n, 0);
    console.log(describeReport(report));
    if (!report.correct) {
      console.log(`chaos: seed ${seed} FAILED; replay with: pnpm chaos --seed ${seed}`);
      failed.push(seed);
      if (count === 0) process.exit(1);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (failed.length > 0) {
    console.log(
      `chaos: ${scenarios} scenario(s) in ${seconds} s, ${faults} faults injected; FAILED seeds: ${failed.join(', ')}`,
    );
    process.exit(1);
  }
  console.log(`chaos: ${scenarios} scenario(s) in ${seconds} s, all correct, ${faults} faults injected`);
  reportOpenHandles();
}

/**
 * Every scenario must leave nothing open (issue 13): once the last one ended, the process should exit by itself.
 * An unref'd timer fires only if something else keeps the event loop alive; it names what does, and fails.
 */
function reportOpenHandles(): void {
  const timer = setTimeout(() => {
    // Counted by kind (thousands of timers would be one unreadable line), sockets with their addresses.
    const kinds = new Map<string, number>();
    for (const kind of process.getActiveResourcesInfo()) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    const sockets = handles
      .map((h) => h as { remoteAddress?: string; remotePort?: number; localPort?: number })
      .filter((s) => s.localPort !== undefined)
      .map((s) => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} (local port ${s.localPort})`);
    const open = [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
    console.log(
      `chaos: FAILED: the process did not exit 10 s after the last scenario; open: ${open}${sockets.length > 0 ? `; sockets: ${sockets.join(', ')}` : ''}`,
    );
    process.exit(1);
  }, 10_000);
  timer.unref();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
