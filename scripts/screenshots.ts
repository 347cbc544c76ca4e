/**
 * README screenshots of the review pages: seeds a throwaway database with realistic calls, signs a headless
 * Debian chromium in, and captures the list, a call page and its timeline, and the overview (on a desktop, and on a
 * phone in dark mode, from a month of calls of its own) into docs/.
 *
 *   npx tsx scripts/screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../test/support/browser';
import { seedDemoCalls } from '../test/support/callRecords';
import { seedOverviewCalls } from '../test/support/overviewCalls';
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
    await page.locator('.call-timeline').screenshot({ path: path.join(OUT_DIR, 'call-timeline.png') });
    console.log(`wrote ${['calls-list.png', 'call-page.png', 'call-timeline.png'].map((f) => path.join(OUT_DIR, f)).join(', ')}`);
  } finally {
    await browser.close();
    await review.stop();
  }
  await overviewScreenshots();
}

/** The overview of a month of calls: its top on a desktop, and on a phone in dark mode. */
async function overviewScreenshots(): Promise<void> {
  const review = await ReviewServer.start();
  const desktop = await launchChromium({ width: 1200, height: 1500, deviceScaleFactor: 2 });
  const phone = await launchChromium({ width: 390, height: 844, deviceScaleFactor: 2 });
  try {
    await seedOverviewCalls(review.store, { now: NOW });
    const url = `${review.url}/calls/overview?since=2025-04-20&until=2025-05-19&token=${ADMIN_TOKEN}`;
    const wide = await desktop.context.newPage();
    await wide.goto(url);
    await wide.screenshot({ path: path.join(OUT_DIR, 'overview.png') });
    const narrow = await phone.context.newPage();
    await narrow.emulateMedia({ colorScheme: 'dark' });
    await narrow.goto(url);
    await narrow.locator('section[aria-label="Calls"]').scrollIntoViewIfNeeded();
    await narrow.evaluate('window.scrollBy(0, -140)');
    await narrow.screenshot({ path: path.join(OUT_DIR, 'overview-phone-dark.png') });
    console.log(`wrote ${['overview.png', 'overview-phone-dark.png'].map((f) => path.join(OUT_DIR, f)).join(', ')}`);
  } finally {
    await desktop.close();
    await phone.close();
    await review.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
