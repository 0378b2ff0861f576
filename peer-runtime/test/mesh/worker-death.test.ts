import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

/** Kills its worker on its first attempt anywhere (a marker file remembers), returns `value` after. */
const diesOnce = `(value, marker) => {
  const fs = globalThis.process.getBuiltinModule('node:fs');
  if (!fs.existsSync(marker)) { fs.writeFileSync(marker, 'seen'); globalThis.process.exit(1); }
  return value;
}`;

describe('worker deaths on a mesh', () => {
  let mesh: TestMesh | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'handout-mesh-death-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('gives a function whose worker died one extra attempt beyond its retries, as runLocal does', async () => {
    mesh = createTestMesh(
      [
        { id: 'p1', trustCode: true },
        { id: 'p2', trustCode: true },
      ],
      { retryBackoffMs: 1 },
    );
    const run = mesh.coordinator.submit([
      fn('dies-once', [], diesOnce, { extraArgs: [42, join(dir, 'dies-once')] }),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('dies-once')).toBe(42);
    const record = summary.functions[0]!;
    expect(record.attempts).toBe(2);
    expect(record.history[0]!.error).toContain('worker-died');
  });

  it('fails a function that kills its worker again with worker-died; a throw gets no extra attempt', async () => {
    mesh = createTestMesh(
      [
        { id: 'p1', trustCode: true },
        { id: 'p2', trustCode: true },
      ],
      { retryBackoffMs: 1 },
    );
    const run = mesh.coordinator.submit([
      fn('crash-loop', [], '() => globalThis.process.exit(3)'),
      fn('crash-loop-retried', [], '() => globalThis.process.exit(4)', { retries: 1 }),
      fn('throws', [], '() => { throw new Error("no") }'),
    ]);
    const summary = await run.done;
    expect(summary.status).toBe('failed');
    const byId = new Map(summary.functions.map((r) => [r.id, r]));
    expect(byId.get('crash-loop')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(byId.get('crash-loop')!.error).toMatchObject({ reason: 'worker-died', attempt: 2 });
    expect(byId.get('crash-loop-retried')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(byId.get('crash-loop-retried')!.error).toMatchObject({ reason: 'worker-died', attempt: 3 });
    expect(byId.get('throws')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(byId.get('throws')!.error).toMatchObject({ reason: 'threw' });
  });
});
