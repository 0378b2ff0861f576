/** `handout validate <file>`: the command's metadata; validate-action.ts runs it. */
import type { CommandDef } from './types.js';

export const validateCommand: CommandDef = {
  name: 'validate',
  summary: 'check a DAG file and print every problem, or "ok"',
  synopsis: 'handout validate <file> [--json] [--scale X] [--data-scale X]',
  description:
    'Loads the DAG file like `handout run` and validates it: duplicate ids, missing dependencies, cycles (with ' +
    'their path), output indexes out of range, code that cannot travel (naming the captured variables), invalid ' +
    'cost, timeout or retries. Prints "ok" and exits 0, or prints one line per problem (function id, field, ' +
    'message) and exits 2. With `--json`: `{ "ok": boolean, "issues": [ { "code", "functionId", "field", ' +
    '"message", "path" } ] }` on stdout.',
  load: () => import('./validate-action.js'),
};
