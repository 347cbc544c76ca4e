import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); playwright's own browser downloads are never used. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Quiet, offline, throwaway: no first-run UI, no background traffic, no profile kept. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (its own --user-data-dir), deleted on close. */
/** `args` are added to the usual ones, e.g. a fake microphone. */
export async function launchChromium(
  options: { width?: number; height?: number; deviceScaleFactor?: number; args?: string[] } = {},
): Promise<Chromium> {
  const profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...ARGS, ...(options.args ?? [])],
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      colorScheme: 'light',
      timezoneId: 'UTC',
      locale: 'en-US',
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
