import path from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN_TOKEN, TestAgent } from '../support/agent';
import { CHROMIUM_PATH, chromiumInstalled, launchChromium, type Chromium } from '../support/browser';
import { dominantFrequency } from '../support/signal';

/**
 * The softphone page in a real browser (Debian's chromium, driven by playwright-core) against the real server and
 * the fake model. Chromium's fake microphone plays test/fixtures/softphone-mic.wav in a loop: 1 s of a 700 Hz tone,
 * then 2.5 s of silence. In CI a missing chromium is a failure; elsewhere the suite is skipped with a warning.
 */
const MIC_FIXTURE = path.join(__dirname, '..', 'fixtures', 'softphone-mic.wav');
const MIC_HZ = 700;
const REPLY_HZ = 440;
const REPLY_MS = 800;

const available = chromiumInstalled();
if (!available && !process.env.CI) {
  console.warn(`SKIPPING the softphone browser test: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
}
const describeBrowser = available || process.env.CI ? describe : describe.skip;

/** What the page shows on `window.softphone`. */
interface PageStats {
  state: string;
  callSid?: string;
  framesSent: number;
  marksEchoed: number;
  agentPlayedMs: number;
  bargeIns: number;
  turns: number;
  endReason?: string;
}

const stats = (page: Page) => page.evaluate(() => (globalThis as unknown as { softphone: PageStats }).softphone);

async function waitForStats(page: Page, check: (s: PageStats) => boolean, what: string, timeoutMs = 15_000): Promise<PageStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await stats(page);
    if (check(now)) return now;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeBrowser('the softphone in chromium', () => {
  let agent: TestAgent;
  let browser: Chromium;

  beforeAll(async () => {
    if (!available) throw new Error(`CI needs chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      { reply: () => ({ text: 'Sure, I can help with that.', toneHz: REPLY_HZ, durationMs: REPLY_MS }) },
    );
    browser = await launchChromium({
      args: [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${MIC_FIXTURE}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
  });

  it('signs in, calls, is heard at the right pitch, plays the reply, shows the transcript, hangs up, and leaves a web call on record', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    await page.goto(`${agent.url}/phone?token=${ADMIN_TOKEN}`);
    expect(page.url()).toBe(`${agent.url}/phone`);
    await page.getByRole('button', { name: 'Call' }).click();
    const session = await agent.fake.nextSession();
    await waitForStats(page, (s) => s.state === 'in-call', 'the call to connect');

    // The model hears the caller's tone at its pitch: 48 kHz file → the page's 8 kHz μ-law → 24 kHz PCM.
    const toneFrom = (input: Int16Array) => input.findIndex((v) => Math.abs(v) > 3000);
    await waitForStats(page, () => {
      const input = session.inputAudioPcm24k();
      return toneFrom(input) >= 0 && input.length - toneFrom(input) >= 24 * 600;
    }, 'the model to hear 600 ms of the caller');
    const input = session.inputAudioPcm24k();
    const tone = input.subarray(toneFrom(input) + 24 * 100, toneFrom(input) + 24 * 500);
    expect(dominantFrequency(tone, 24_000)).toBeCloseTo(MIC_HZ, -1);

    // The reply plays in the page: its worklet echoes each mark once the audio before it has played.
    const played = await waitForStats(page, (s) => s.agentPlayedMs >= REPLY_MS - 50 && s.marksEchoed >= REPLY_MS / 40, 'the reply to play');
    expect(played.framesSent).toBeGreaterThan(50);
    const transcript = page.getByRole('region', { name: 'Transcript' });
    await transcript.locator('.turn.agent').first().waitFor();
    await expect(transcript.locator('.turn.caller').first().innerText()).resolves.toContain('I would like some help.');
    await expect(transcript.locator('.turn.agent').first().innerText()).resolves.toContain('Sure, I can help with that.');

    await page.getByRole('button', { name: 'Hang up' }).click();
    await session.closed;
    const ended = await waitForStats(page, (s) => s.state === 'ended', 'the call to end');
    expect(ended.endReason).toBe('caller-hung-up');
    await expect(page.getByRole('status').innerText()).resolves.toBe('Call ended: you hung up.');
    const link = page.locator('#record-link');
    await expect(link.getAttribute('href')).resolves.toBe(`/calls/${ended.callSid}`);

    await agent.recordingsSettled();
    const call = (await agent.store.get(ended.callSid!))!;
    expect(call).toMatchObject({ direction: 'web', to: 'softphone', endReason: 'caller-hung-up' });
    expect(call.from).toMatch(/Chrome/);
    expect(call.transcript.some((t) => t.role === 'agent' && t.text === 'Sure, I can help with that.')).toBe(true);

    await link.click();
    await page.waitForURL(`${agent.url}/calls/${ended.callSid}`);
    await expect(page.locator('h1').innerText()).resolves.toContain('softphone');
    expect(problems).toEqual([]);
  });
});
