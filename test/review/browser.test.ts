import { CHROMIUM_PATH, chromiumInstalled, launchChromium, type Chromium } from '../support/browser';
import { FEATURED_CALL, seedDemoCalls } from '../support/callRecords';
import { ADMIN_TOKEN, ReviewServer } from '../support/reviewServer';

/**
 * The review pages in a real browser (Debian's chromium, driven by playwright-core): sign in, open a call, see
 * the conversation and hear the recording. In CI a missing chromium is a failure; elsewhere the suite is skipped
 * with a warning.
 */
/** What the test uses of an <audio> element (the project compiles without DOM types). */
interface AudioElement {
  readyState: number;
  duration: number;
  error: { code: number } | null;
  addEventListener(type: string, listener: () => void): void;
  load(): void;
}

const available = chromiumInstalled();
if (!available && !process.env.CI) {
  console.warn(`SKIPPING the browser test: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
}
const describeBrowser = available || process.env.CI ? describe : describe.skip;

describeBrowser('review pages in chromium', () => {
  let review: ReviewServer;
  let browser: Chromium;
  let featured: string;

  beforeAll(async () => {
    if (!available) throw new Error(`CI needs chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
    review = await ReviewServer.start();
    featured = await seedDemoCalls(review.store, { now: Date.now(), recordingsDir: review.recordingsDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await review?.stop();
  });

  it('signs in, lists the calls, opens one and shows its transcript and recording', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${review.url}/calls`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${review.url}/calls`);
    const rows = page.locator('table.calls tbody tr');
    await expect(rows.count()).resolves.toBe(6);
    // The session cookie is invisible to scripts.
    await expect(page.evaluate('document.cookie')).resolves.toBe('');

    await page.getByPlaceholder('Words, a number or a call SID').fill('parking');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/search=parking/);
    await expect(rows.count()).resolves.toBe(1);

    await page.locator(`a[href="/calls/${featured}"]`).click();
    await page.waitForURL(`${review.url}/calls/${featured}`);

    const transcript = page.getByRole('region', { name: 'Transcript' });
    await expect(transcript.locator('.turn').count()).resolves.toBe(FEATURED_CALL.turns.length);
    await expect(transcript.locator('.turn.caller').first().innerText()).resolves.toContain('book a cleaning');
    const interrupted = transcript.locator('.turn.interrupted');
    await expect(interrupted.count()).resolves.toBe(1);
    await expect(interrupted.innerText()).resolves.toMatch(/Wednesday at\s+— interrupted at 7\.2 s of 11\.8 s/);
    await expect(interrupted.locator('.cut').isVisible()).resolves.toBe(true);
    await expect(page.getByText('caller cut in after 7.2 of 11.8 s', { exact: true }).isVisible()).resolves.toBe(true);

    // The player loads the WAV with the session cookie: 1:04 of audio.
    const duration = await page.locator('audio').evaluate(
      (audio: AudioElement) =>
        new Promise<number>((resolve, reject) => {
          if (audio.readyState >= 1) return resolve(audio.duration);
          audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
          audio.addEventListener('error', () => reject(new Error(`audio error ${audio.error?.code}`)));
          audio.load();
        }),
    );
    expect(duration).toBeCloseTo(64, 0);
  });

  it('sends a token link through sign-in and drops the token from the address bar', async () => {
    const page = await browser.context.newPage();
    await browser.context.clearCookies();
    await page.goto(`${review.url}/calls/${featured}?token=${ADMIN_TOKEN}`);
    expect(page.url()).toBe(`${review.url}/calls/${featured}`);
    await expect(page.locator('h1').innerText()).resolves.toContain('+14155550142');
  });

  it('shows the sign-in form to a browser without a session', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    const response = await page.goto(`${review.url}/calls/${featured}`);
    expect(response?.status()).toBe(401);
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await expect(page.content()).resolves.not.toContain('Maria');
  });
});
