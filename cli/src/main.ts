#!/usr/bin/env node
/**
 * The `handout` executable. In the workspace: `pnpm handout <args>` (runs this file from source under tsx);
 * installed: the package's bin, dist/cli/main.js. See docs/cli.md.
 */
import { runCli } from './cli.js';
import { EXIT } from './errors.js';

const interruptHandlers = new Set<() => void>();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  // The first Ctrl-C cancels the run and lets it report; a second one (or one with nothing to cancel) quits now.
  if (interrupts > 1 || interruptHandlers.size === 0) process.exit(EXIT.interrupted);
  for (const handler of interruptHandlers) handler();
});

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt(handler) {
    interruptHandlers.add(handler);
    return () => interruptHandlers.delete(handler);
  },
});
// Wait until both streams have flushed (pipes can be asynchronous), then exit even if a handle lingers.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
