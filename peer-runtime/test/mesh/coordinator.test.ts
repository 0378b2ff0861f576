import { afterEach, describe, expect, it } from 'vitest';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

describe('mesh coordinator', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('runs a diamond across peers and gives every function its correct result', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    const run = mesh.coordinator.submit([
      fn('a', [], '() => 2'),
      fn('b', ['a'], '(x) => x * 3'),
      fn('c', ['a'], '(x) => x + 1'),
      fn('d', ['b', 'c'], '(b, c) => b + c'),
    ]);
    expect(await run.result('d')).toBe(9);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    for (const r of summary.functions) expect(['p1', 'p2']).toContain(r.peer);
  });
});
