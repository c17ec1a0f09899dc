import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (apt-get install chromium); BROWSER_PATH points elsewhere. */
export const BROWSER_PATH = process.env.BROWSER_PATH ?? '/usr/bin/chromium';

/**
 * The flags this machine needs: root needs --no-sandbox, and without the
 * background-networking flags chromium keeps dialling Google's hosts, which the
 * closed network refuses.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless system chromium with a fresh profile; close() removes the profile. */
export interface HeadlessBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  if (!existsSync(BROWSER_PATH)) {
    throw new Error(
      `chromium not found at ${BROWSER_PATH}: install it (apt-get install chromium) or set BROWSER_PATH`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'seckill-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: BROWSER_PATH,
    headless: true,
    args: FLAGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
