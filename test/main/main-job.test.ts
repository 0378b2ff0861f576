/**
 * The README's main job, end to end: scripts/main-job.ts builds the demo, starts the signaling server, two Node
 * peers and a coordinator as real processes, runs the showcase on them and prints the URLs a person opens.
 * HANDOUT_EXIT_AFTER_RUN=1 makes it shut down after the summary instead of waiting for Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runMainJob(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(root, 'scripts/main-job.ts')],
      { cwd: root, env: { ...process.env, HANDOUT_EXIT_AFTER_RUN: '1', HANDOUT_PORT: '0' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('the main job', () => {
  it('runs the showcase on two Node peers through a coordinator, then prints where to join and shuts down', async () => {
    const { code, out } = await runMainJob();
    expect(out, out).toMatch(/run succeeded in [\d.]+ s; functions per peer: \S+: \d+, \S+: \d+/);
    expect(out).toMatch(/give compute: +http:\/\/127\.0\.0\.1:\d+\/contribute\.html\?signal=.+&token=\S+/);
    expect(out).toMatch(/dashboard: +http:\/\/127\.0\.0\.1:\d+\/dashboard\.html\?/);
    expect(out).toContain('left the mesh');
    expect(code).toBe(0);
  }, 180_000);
});
