// Launches Debian's Chromium through playwright-core (never a downloaded
// browser), headless, with the flags this machine needs, in a fresh profile.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context with its own new profile; close() also removes the profile. */
export async function launch({ width = 1440, height = 900, colorScheme = 'dark', scale = 1 } = {}) {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}; install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const profile = mkdtempSync(join(tmpdir(), 'agenttrace-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    deviceScaleFactor: scale,
    colorScheme,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
