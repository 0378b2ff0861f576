/** Where a Node peer keeps its result cache when not told: `$XDG_CACHE_HOME/handout/peers/<peerId>` (or ~/.cache). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultCacheDir(peerId: string, env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  // One directory per peer id: the disk store serves one process at a time, and a peer restarted with the same
  // id (a token bound to it) finds its cache again.
  return join(base, 'handout', 'peers', peerId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}
