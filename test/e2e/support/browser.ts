/**
 * Debian's Chromium driven by playwright-core. Never a browser of Playwright's own: `scripts/setup.sh` installs
 * the `chromium` package when /usr/bin/chromium is missing.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.HANDOUT_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet and local (see ../shared/NETWORK-TESTS.md for the WebRTC one). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface LaunchChromiumOptions {
  /**
   * A named network namespace (`ip netns add`, root) to run the browser in, e.g. a home behind a NAT of
   * test/netns/nat-topology.ts. Playwright talks to Chromium over a pipe, not a socket, so it drives a browser
   * in another namespace as it does one in its own. Default: this process's namespace.
   */
  readonly netns?: string;
  /** Flags beyond CHROMIUM_ARGS. */
  readonly args?: readonly string[];
}

export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: run scripts/setup.sh (it installs Debian's chromium package)`,
    );
  }
  let executablePath = CHROMIUM_PATH;
  let scriptDir: string | undefined;
  if (options.netns !== undefined) {
    // `ip netns exec` execs Chromium in place of the script, so Playwright's pipe (fds 3 and 4) and its kill of
    // the browser's process group reach Chromium itself.
    scriptDir = mkdtempSync(join(tmpdir(), 'handout-chromium-'));
    executablePath = join(scriptDir, 'chromium-in-netns');
    writeFileSync(
      executablePath,
      `#!/bin/sh\nexec ip netns exec '${options.netns}' '${CHROMIUM_PATH}' "$@"\n`,
    );
    chmodSync(executablePath, 0o755);
  }
  const browser = await chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    headless: true,
  });
  if (scriptDir !== undefined) {
    const dir = scriptDir;
    browser.on('disconnected', () => rmSync(dir, { recursive: true, force: true }));
  }
  return browser;
}

/**
 * A page that records every uncaught page error and console error (`errors`, which tests expect empty) and,
 * apart, every console warning (`warnings`, for the pages that promise a quiet console).
 */
export async function openPage(
  context: BrowserContext,
): Promise<{ page: Page; errors: string[]; warnings: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(`console: ${m.text()}`);
  });
  return { page, errors, warnings };
}
