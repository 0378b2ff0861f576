/**
 * `--ice-server` of `handout peer`. Its own module, free of runtime imports: command metadata is loaded by
 * `--help` and `--version`, which load no runtime module beyond the errors (cli/test/startup.test.ts).
 */
import type { FlagDef } from './types.js';

export const ICE_SERVER_FLAG: FlagDef = {
  flag: '--ice-server',
  kind: 'value',
  env: 'HANDOUT_ICE_SERVERS',
  repeatable: true,
  meaning:
    'STUN/TURN server (stun:host:3478, turn:user:pass@host:3478[?transport=tcp]); repeat or comma-separate (default none).',
};
