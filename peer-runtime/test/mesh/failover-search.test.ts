import { describe, expect, it } from 'vitest';
import { CoordinatorSearch } from '../../src/submit/failover.js';

/** Runs one search to its end: the chosen coordinator, or the time waited when it gave up. */
function look(search: CoordinatorSearch): Promise<{ found?: string; waited?: number }> {
  return new Promise((resolve) =>
    search.look(
      (found) => resolve({ found }),
      (waited) => resolve({ waited }),
    ),
  );
}

describe('choosing the coordinator a run fails over to', () => {
  it('takes the first listed coordinator the run has not lost', async () => {
    const search = new CoordinatorSearch({ candidates: () => ['co-a', 'co-b', 'co-c'] }, () =>
      Promise.reject(new Error('silent')),
    );
    search.lost('co-a');
    expect(await look(search)).toEqual({ found: 'co-b' });
    search.lost('co-b');
    expect(await look(search)).toEqual({ found: 'co-c' });
  });

  it('gives up after the window when only lost coordinators are listed and none answers', async () => {
    const search = new CoordinatorSearch({ candidates: () => ['co-a'], windowMs: 300, retryMs: 50 }, () =>
      Promise.reject(new Error('silent')),
    );
    search.lost('co-a');
    const t0 = Date.now();
    const outcome = await look(search);
    expect(outcome.found).toBeUndefined();
    expect(outcome.waited).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('takes a lost coordinator again once it answers a ping (a restarted process under the same id)', async () => {
    let answers = false;
    const search = new CoordinatorSearch({ candidates: () => ['co'], windowMs: 5000, retryMs: 20 }, () =>
      answers ? Promise.resolve(1) : Promise.reject(new Error('silent')),
    );
    search.lost('co');
    setTimeout(() => {
      answers = true;
    }, 100);
    expect(await look(search)).toEqual({ found: 'co' });
  });

  it('takes a lost coordinator again once the membership dropped it and lists it again', async () => {
    let listed = ['co'];
    const search = new CoordinatorSearch({ candidates: () => listed, windowMs: 5000, retryMs: 20 }, () =>
      Promise.reject(new Error('silent')),
    );
    search.lost('co');
    setTimeout(() => {
      listed = [];
    }, 50);
    setTimeout(() => {
      listed = ['co'];
    }, 150);
    expect(await look(search)).toEqual({ found: 'co' });
  });

  it('a lost coordinator that left the mesh while no search looked is taken again once it is listed again', async () => {
    // co-a was lost (the run moved to co-b), then left and came back while the run sat on co-b; co-b is lost now.
    const search = new CoordinatorSearch(
      { candidates: () => ['co-a', 'co-b'], windowMs: 300, retryMs: 20 },
      () => Promise.reject(new Error('silent')),
    );
    search.lost('co-a');
    search.memberLeft('co-a');
    search.lost('co-b');
    expect(await look(search)).toEqual({ found: 'co-a' });
  });

  it('a member leaving that the run never lost changes nothing', async () => {
    const search = new CoordinatorSearch({ candidates: () => ['co-a'], windowMs: 200, retryMs: 20 }, () =>
      Promise.reject(new Error('silent')),
    );
    search.memberLeft('co-a');
    search.lost('co-a');
    expect((await look(search)).found).toBeUndefined();
  });
});
