/** `--log-level` and `--log-format`, shared by `handout peer` and `handout signal` (cli/src/logging.ts reads them). */
import type { FlagDef } from './types.js';

// Spelled out rather than imported from the runtime's LOG_LEVELS: `--help` and `--version` load no runtime module
// beyond the errors (cli/test/startup.test.ts); logOptionsFromFlags checks values against the real list.

export const LOG_FLAGS: readonly FlagDef[] = [
  {
    flag: '--log-level',
    kind: 'value',
    env: 'HANDOUT_LOG_LEVEL',
    meaning: 'Lowest level logged: debug, info, warn or error (default info).',
  },
  {
    flag: '--log-format',
    kind: 'value',
    env: 'HANDOUT_LOG_FORMAT',
    meaning: 'json (one object per line) or pretty (default pretty; json with --json).',
  },
];
