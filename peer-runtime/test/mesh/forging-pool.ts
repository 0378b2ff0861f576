/**
 * TEST ONLY — a lying contributor's worker pool: it runs every function for real (so it takes honest time and
 * fails where honest peers fail) and then returns a forged value instead of the result. What a peer that wants
 * to poison a mesh's results would do; used by the verification tests here and by the lying peer process
 * (test/fixtures/liar-peer.ts). Never part of the shipped CLI or runtime.
 */
import type { WorkerPool } from '../../src/worker/pool.js';

/** The forged value for a function: a string no honest function of the tests returns. */
export const forgedValue = (functionId: string): string => `forged:${functionId}`;

/**
 * `pool` with every successful outcome's value replaced by `forge(functionId)` (`forge: false` keeps honest
 * values: a peer that lies only about its capabilities); `claimedSize` is the slot count it claims.
 */
export function forgingPool(
  pool: WorkerPool,
  options: { forge?: ((functionId: string) => unknown) | false; claimedSize?: number } = {},
): WorkerPool {
  const forge = options.forge === false ? undefined : (options.forge ?? forgedValue);
  return {
    get size() {
      return options.claimedSize ?? pool.size;
    },
    async run(task, runOptions) {
      const outcome = await pool.run(task, runOptions);
      return outcome.ok && forge ? { ...outcome, value: forge(task.functionId) } : outcome;
    },
    on: (event, listener) => pool.on(event, listener),
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}
