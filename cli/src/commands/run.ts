/** `handout run <file>`: runs a DAG on this machine's worker pool and prints its results. */
import { runLocal } from '@handout/peer-runtime';
import { parseCommandArgs } from '../args.js';
import { resolveSettings } from '../config.js';
import { EXIT, type ExitCode } from '../errors.js';
import { loadDagFile } from '../load-dag.js';
import { buildJsonOutput, describeFailure, finalFunctionIds, formatHumanSummary } from '../output.js';
import { attachProgress, chooseProgressMode } from '../progress.js';
import { commandHelp, singleFileArgument } from './help.js';
import { openMesh } from './run-mesh.js';
import type { CommandContext, CommandDef } from './types.js';

export const runCommand: CommandDef = {
  name: 'run',
  summary: 'run a DAG on this machine (or on a mesh with --signal) and print its results',
  synopsis:
    'handout run <file> [--concurrency N] [--json] [--progress auto|bar|lines|none] [--scale X] [--signal url --token t [--strategy s]]',
  description:
    'Loads the DAG file (a module, Handout JSON, WfFormat JSON or STG), validates it, and runs it on a pool of ' +
    'worker threads. Progress goes to stderr; the outcome goes to stdout: a summary with the results of the final ' +
    'functions (those nothing else depends on), or with `--json` one JSON document. Exits 0 when every function ' +
    'succeeded, 1 when one failed (naming it, its error and its attempts on stderr), 2 for an invalid DAG or bad ' +
    'input, 130 when interrupted by Ctrl-C (the run is cancelled first). With `--signal <url> --token <t>` the DAG ' +
    "runs on that mesh instead: on the mesh's coordinator when a member has the `coordinate` role, else on one " +
    'embedded in this process (the token must then grant `coordinate`), placed by `--strategy`; records name the ' +
    'peer that ran each function, and output and exit codes are the same.',
  run,
};

async function run(ctx: CommandContext): Promise<ExitCode> {
  const args = parseCommandArgs('run', ctx.argv);
  if (args.help) {
    ctx.stdout.write(commandHelp(runCommand));
    return EXIT.ok;
  }
  const file = singleFileArgument('run', args.positionals);
  const settings = resolveSettings(args, ctx);
  const { values } = settings;
  const loaded = await loadDagFile(file, {
    cwd: ctx.cwd,
    ...(values.scale === undefined ? {} : { scale: values.scale }),
  });

  const controller = new AbortController();
  let interrupted = false;
  const offInterrupt = ctx.onInterrupt(() => {
    interrupted = true;
    ctx.stderr.write('\nhandout: cancelling the run (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  // With --signal the DAG runs on a mesh (run-mesh.ts); output and exit codes are the same.
  const mesh = values.signal !== undefined ? await openMesh(settings) : undefined;
  const handle = mesh
    ? mesh.submit(loaded.dag, values.strategy !== undefined ? { strategy: values.strategy } : {})
    : runLocal(loaded.dag, { concurrency: values.concurrency, signal: controller.signal });
  if (mesh) controller.signal.addEventListener('abort', () => handle.cancel('interrupted'), { once: true });
  const mode = chooseProgressMode(values.progress, ctx.stderr);
  const progress = attachProgress(handle, mode, ctx.stderr, loaded.dag.functions.length);
  const summary = await handle.done;
  progress.stop();
  offInterrupt();

  // Human output shows only the final functions; --json carries every successful result.
  const wanted = new Set(values.json ? summary.functions.map((r) => r.id) : finalFunctionIds(loaded.dag));
  const results = new Map<string, unknown>();
  for (const r of summary.functions) {
    if (r.status !== 'succeeded' || !wanted.has(r.id)) continue;
    results.set(r.id, r.results !== undefined ? r.results : await handle.result(r.id));
  }
  ctx.stdout.write(
    values.json
      ? `${JSON.stringify(buildJsonOutput(summary, results), null, 2)}\n`
      : formatHumanSummary(summary, loaded.dag, results),
  );
  for (const r of summary.functions) {
    if (r.status === 'failed')
      ctx.stderr.write(
        describeFailure(r)
          .map((l) => `handout: ${l}\n`)
          .join(''),
      );
  }
  await mesh?.close();
  if (summary.status === 'succeeded') return EXIT.ok;
  if (summary.status === 'cancelled' && interrupted) return EXIT.interrupted;
  return EXIT.functionFailed;
}
