/**
 * The one rule both platform spawners (pool.node.ts, pool.browser.ts) follow when a worker ends: it ends once,
 * by our `terminate()` or by its own death, whichever comes first; the loser of that race does nothing, so
 * `onDeath` is never reported for a termination we asked for and a dead worker is not stopped twice.
 */
import * as Comlink from 'comlink';
import type { WorkerApi } from './messages.js';

export interface WorkerEnd {
  /** Claims the end of the worker; false when it has already ended (terminated or died). */
  claim(): boolean;
  /**
   * Releases the comlink proxy (unregistering it from comlink's finalizer; the release message itself is never
   * answered by a stopped worker) and stops the worker with `stop`. Call after a successful `claim`.
   */
  kill(): Promise<void>;
}

export function workerEnd(api: Comlink.Remote<WorkerApi>, stop: () => unknown): WorkerEnd {
  let ended = false;
  return {
    claim() {
      if (ended) return false;
      ended = true;
      return true;
    },
    async kill() {
      void api[Comlink.releaseProxy]();
      await stop();
    },
  };
}
