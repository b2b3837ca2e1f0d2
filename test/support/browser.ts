import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it); nothing here ever downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI (`CI=true`) they always run,
 * so a missing browser fails them instead of skipping them.
 */
export function browserMissing(): string | undefined {
  if (process.env.CI === 'true' || existsSync(CHROMIUM)) return undefined;
  return `${CHROMIUM} is missing (apt-get install -y chromium): the dashboard's browser tests are skipped`;
}

/**
 * Headless Chromium with a fresh profile: Playwright gives every launch a new temporary user-data-dir
 * (and contexts within it share nothing), so no cache, storage or key survives from one run to the next.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
