import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/worker/worker-entry.node.js';

describe('which file a Node worker runs', () => {
  it('from source, runs one cached bundle of the worker graph rather than registering tsx in every worker', () => {
    const entry = workerEntry();
    expect(entry.eval).toBe(false);
    expect(entry.specifier).toBeInstanceOf(URL);
    const file = fileURLToPath(entry.specifier as URL);
    expect(file).toMatch(/node_modules[/\\]\.cache[/\\]handout-worker[/\\]worker\.node\.mjs$/);
    expect(existsSync(file)).toBe(true);
    // The bundle carries the executor and SES itself: nothing in it needs tsx to load.
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('lockdown');
    expect(text).not.toMatch(/from ['"][^'"]+\.ts['"]/);
    // The same process asks again: the same file, not a second build.
    expect(String(workerEntry().specifier)).toBe(String(entry.specifier));
  });
});
