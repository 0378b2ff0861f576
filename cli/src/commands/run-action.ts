/** `handout run <file>`: runs a DAG on this machine's worker pool and prints its results. */
import { runLocal } from '@handout/peer-runtime/local';
import { parseCommandArgs } from '../args.js';
import { resolveSettings } from '../config.js';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { printFunctionOutput } from '../function-output.js';
import { importOptions, loadDagFile } from '../load-dag.js';
import { buildJsonOutput, describeFailure, finalFunctionIds, formatHumanSummary } from '../output.js';
import { attachProgress, chooseProgressMode } from '../progress.js';
import { commandHelp, singleFileArgument } from './help.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const args = parseCommandArgs('run', ctx.argv);
  if (args.help) {
    ctx.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const file = singleFileArgument('run', args.positionals);
  const settings = resolveSettings(args, ctx);
  const { values } = settings;
  // Replicas need several peers: on this machine there is nobody to disagree with.
  if (values.verify !== undefined && values.signal === undefined)
    throw new CliInputError('--verify needs --signal: results are verified across the peers of a mesh');
  const loaded = await loadDagFile(file, { cwd: ctx.cwd, ...importOptions(values) });

  const controller = new AbortController();
  let interrupted = false;
  const offInterrupt = ctx.onInterrupt(() => {
    interrupted = true;
    ctx.stderr.write('\nhandout: cancelling the run (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  // With --signal the DAG runs on a mesh (run-mesh.ts); output and exit codes are the same.
  // The mesh half (signaling client, WebRTC) loads only for a run with --signal.
  const mesh =
    values.signal !== undefined ? await (await import('./run-mesh.js')).openMesh(settings) : undefined;
  const handle = mesh
    ? mesh.submit(loaded.dag, {
        ...(values.strategy !== undefined && { strategy: values.strategy }),
        ...(values.verify !== undefined && { verify: { replicas: values.verify } }),
      })
    : runLocal(loaded.dag, { concurrency: values.concurrency, signal: controller.signal });
  if (mesh) controller.signal.addEventListener('abort', () => handle.cancel('interrupted'), { once: true });
  const mode = chooseProgressMode(values.progress, ctx.stderr);
  const progress = attachProgress(handle, mode, ctx.stderr, loaded.dag.functions.length);
  const offOutput = values.quiet ? undefined : printFunctionOutput(handle, (text) => progress.above(text));
  const summary = await handle.done;
  offOutput?.();
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
