import { describe, expect, it } from 'vitest';
import { dag, runLocal } from '../src/index.js';

describe("the README's code example", () => {
  it('runs a built Dag with runLocal: dependency values first, then extraArgs', async () => {
    const d = dag()
      .fn({ id: 'a', code: () => 20 })
      .fn({ id: 'b', args: ['a'], code: (a: number, n: number) => a + n, extraArgs: [22] })
      .build();
    const run = runLocal(d, { concurrency: 1 });
    expect(await run.result('b')).toBe(42);
    expect((await run.done).status).toBe('succeeded');
  });

  it('accepts the same DAG as JSON and as a plain spec array', async () => {
    const d = dag()
      .fn({ id: 'x', code: () => 'ok' })
      .build();
    const fromJson = runLocal(d.toJSON(), { concurrency: 1 });
    const fromSpecs = runLocal(d.functions, { concurrency: 1 });
    expect(await fromJson.result('x')).toBe('ok');
    expect(await fromSpecs.result('x')).toBe('ok');
    await Promise.all([fromJson.done, fromSpecs.done]);
  });
});
