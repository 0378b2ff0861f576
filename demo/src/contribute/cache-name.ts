/**
 * Which IndexedDB cache this tab uses. The store serves one tab at a time per database name (its in-memory index
 * is the authority), so a second contributing tab of the same browser takes the next name. A Web Lock held for
 * the life of the tab marks a name as taken; the browser releases it when the tab goes, even if it crashes.
 *
 * Why wait a little for each name instead of taking the first free one at once: on a reload the old document
 * still holds its lock for a moment, and taking the next name would leave this tab's cache behind.
 */
const BASE = 'handout-results';
const MAX_TABS = 8;
/** How long to wait for a name held by a document that is going away (a reload). */
const WAIT_MS = 1500;

export async function claimCacheName(): Promise<string> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return BASE;
  for (let i = 0; i < MAX_TABS; i++) {
    const name = i === 0 ? BASE : `${BASE}-${i + 1}`;
    const got = await new Promise<boolean>((resolve) => {
      locks
        .request(name, { signal: AbortSignal.timeout(WAIT_MS) }, () => {
          resolve(true);
          // Hold it until the tab goes: a promise that never settles keeps the lock.
          return new Promise<never>(() => {});
        })
        .catch(() => resolve(false)); // timed out: another live tab holds it
    });
    if (got) return name;
  }
  return `${BASE}-${Date.now()}`;
}
