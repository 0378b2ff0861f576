/**
 * Where `handout peer` gets its token. A token on the command line is readable by every user of the machine
 * (`ps`, `/proc/<pid>/cmdline`) and, on a peer, by any code that can read files; a coordinator's token grants
 * `coordinate`. So the token comes from `HANDOUT_TOKEN` or from a file (`--token-file`, read once at start);
 * `--token` still works, for convenience on a machine of one's own, with a warning on stderr. The worker
 * threads that run functions see neither: they get an empty environment and, sandboxed, no file access.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliInputError } from '../errors.js';
import type { ParsedFlags } from './mesh-flags.js';

export const TOKEN_ON_COMMAND_LINE_WARNING =
  'handout peer: warning: --token puts the token on the command line, where other users and processes of ' +
  'this machine can read it (ps, /proc/<pid>/cmdline); pass it in HANDOUT_TOKEN or --token-file instead\n';

/**
 * The token text, from `--token-file` (relative to `cwd`), `--token`, or `HANDOUT_TOKEN`; writes the warning
 * when it came from the `--token` flag itself.
 */
export function readPeerToken(
  flags: ParsedFlags,
  cwd: string,
  stderr: { write(text: string): unknown },
): { token: string; origin: string } {
  const file = flags.values.get('--token-file');
  const inline = flags.values.get('--token');
  const inlineFromFlag = inline !== undefined && flags.origin('--token') === '--token';
  if (file !== undefined) {
    if (inlineFromFlag) throw new CliInputError('give the token with --token or --token-file, not both');
    if (file.trim() === '') throw new CliInputError('--token-file needs a path');
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new CliInputError(`--token-file ${file}: ${(error as Error).message}`);
    }
    const token = text.trim();
    if (token === '') throw new CliInputError(`--token-file ${file} is empty`);
    return { token, origin: `--token-file ${file}` };
  }
  if (inline === undefined || inline.trim() === '') {
    throw new CliInputError(
      'handout peer needs a token: HANDOUT_TOKEN, --token-file <path> or --token <value>',
    );
  }
  if (inlineFromFlag) stderr.write(TOKEN_ON_COMMAND_LINE_WARNING);
  return { token: inline.trim(), origin: flags.origin('--token') };
}
