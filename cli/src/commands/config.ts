/** `handout config`: the command's metadata; config-action.ts runs it. */
import type { CommandDef } from './types.js';

export const configCommand: CommandDef = {
  name: 'config',
  summary: 'show every setting, its value and where it came from',
  synopsis: 'handout config [--json] [any flag of handout run]',
  description:
    'Resolves the settings exactly as `handout run` would (flag, then environment variable, then config file, then ' +
    'default) and prints one line per setting: name, value, source. With `--json`: `{ "configFile": path | null, ' +
    '"settings": { name: { "value", "source" } } }`. Useful to see why a run used the concurrency it did.',
  load: () => import('./config-action.js'),
};
