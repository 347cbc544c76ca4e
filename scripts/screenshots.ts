/**
 * README screenshots of the review pages: seeds a throwaway database with realistic calls, signs a headless
 * Debian chromium in, and captures the list and a call page into docs/.
 *
 *   npx tsx scripts/screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../test/support/browser';
import { seedDemoCalls } from '../test/support/callRecords';
import { ADMIN_TOKEN, ReviewServer } from '../test/support/reviewServer';

const OUT_DIR = path.join(__dirname, '..', 'docs');
/** A fixed "now", so the pictures only change when the pages do. */
const NOW = Date.UTC(2025, 4, 20, 16, 30);

async function main(): Promise<void> {
  // Times on the pages are local: pin them so the pictures do not depend on the machine.
  process.env.TZ = process.env.TZ ?? 'UTC';
  const review = await ReviewServer.start();
  const browser = await launchChromium({ width: 1200, height: 860, deviceScaleFactor: 2 });
  try {
    const featured = await seedDemoCalls(review.store, { now: NOW, recordingsDir: review.recordingsDir });
    mkdirSync(OUT_DIR, { recursive: true });
    const page = await browser.context.newPage();

    await page.goto(`${review.url}/calls?token=${ADMIN_TOKEN}`);
    await page.screenshot({ path: path.join(OUT_DIR, 'calls-list.png') });

    // Let the player finish loading, so its buffered bar looks the same every time.
    await page.goto(`${review.url}/calls/${featured}`, { waitUntil: 'networkidle' });
    await page.screenshot({ path: path.join(OUT_DIR, 'call-page.png'), fullPage: true });
    console.log(`wrote ${path.join(OUT_DIR, 'calls-list.png')} and ${path.join(OUT_DIR, 'call-page.png')}`);
  } finally {
    await browser.close();
    await review.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
