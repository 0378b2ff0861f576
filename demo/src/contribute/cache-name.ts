/**
 * Which IndexedDB cache this tab uses. The store serves one tab at a time per database name (its in-memory index
 * is the authority), so a second contributing tab of the same browser takes the next name. A Web Lock held for
 * the life of the tab marks a name as taken; locks are released by the browser when the tab goes, even if it
 * crashes, so a reload finds its own cache again under the first free name.
 */
const BASE = 'handout-results';
const MAX_TABS = 8;

export async function claimCacheName(): Promise<string> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return BASE;
  for (let i = 0; i < MAX_TABS; i++) {
    const name = i === 0 ? BASE : `${BASE}-${i + 1}`;
    const got = await new Promise<boolean>((resolve) => {
      void locks.request(name, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        // Hold it until the tab goes: a promise that never settles keeps the lock.
        return lock ? new Promise<never>(() => {}) : undefined;
      });
    });
    if (got) return name;
  }
  return `${BASE}-${Date.now()}`;
}
