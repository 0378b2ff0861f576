/**
 * Debian's Chromium driven by playwright-core. Never a browser of Playwright's own: `scripts/setup.sh` installs
 * the `chromium` package when /usr/bin/chromium is missing.
 */
import { existsSync } from 'node:fs';
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

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: run scripts/setup.sh (it installs Debian's chromium package)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
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
