/** `handout validate <file>`: loads and validates a DAG without running it. */
import { parseCommandArgs } from '../args.js';
import { resolveSettings } from '../config.js';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { formatIssue, InvalidDagFileError, type IssueLike } from '../issues.js';
import { importOptions, loadDagFile } from '../load-dag.js';
import { commandHelp, singleFileArgument } from './help.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const args = parseCommandArgs('validate', ctx.argv);
  if (args.help) {
    ctx.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const file = singleFileArgument('validate', args.positionals);
  const { values } = resolveSettings(args, ctx);
  let issues: Array<IssueLike & { readonly code: string; readonly path?: readonly string[] }> = [];
  try {
    // Loading validates: every kind of file becomes a Dag, which is valid or not created.
    await loadDagFile(file, { cwd: ctx.cwd, ...importOptions(values) });
  } catch (error) {
    if (error instanceof InvalidDagFileError) issues = [...error.issues];
    // A file that cannot even be read or parsed is one problem of its own; --json still reports it as data.
    else if (error instanceof CliInputError && values.json)
      issues = [{ code: 'input', message: error.message }];
    else throw error;
  }
  if (values.json) {
    const out = issues.map((i) => ({
      code: i.code,
      functionId: i.functionId ?? null,
      field: i.field ?? null,
      message: i.message,
      path: i.path ?? null,
    }));
    ctx.stdout.write(`${JSON.stringify({ ok: issues.length === 0, issues: out }, null, 2)}\n`);
  } else if (issues.length === 0) {
    ctx.stdout.write('ok\n');
  } else {
    ctx.stdout.write(issues.map((i) => `${formatIssue(i)}\n`).join(''));
    ctx.stderr.write(`handout: ${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
  }
  return issues.length === 0 ? EXIT.ok : EXIT.badInput;
}
