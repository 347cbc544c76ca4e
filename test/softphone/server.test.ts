import WebSocket from 'ws';
import { pcm16ToMulaw } from '../../src/audio';
import { ADMIN_TOKEN, TestAgent } from '../support/agent';
import { dominantFrequency, sine } from '../support/signal';

/**
 * The softphone's server side, driven by a Node client speaking what the page speaks: the page behind the sign-in,
 * tickets, and the media websocket's admission. The page itself runs in chromium in browser.test.ts.
 */
interface Ticket {
  callSid: string;
  streamSid: string;
  token: string;
  expiresInS: number;
}

const BEARER = { Authorization: `Bearer ${ADMIN_TOKEN}` };

async function ticketFor(agent: TestAgent): Promise<Ticket> {
  const response = await fetch(`${agent.url}/phone/call`, { method: 'POST', headers: BEARER });
  expect(response.status).toBe(200);
  return (await response.json()) as Ticket;
}

/** A page's websocket: everything the server sends, and how it closed. */
class PageSocket {
  readonly received: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private sequence = 0;
  private chunk = 0;

  private constructor(
    readonly ws: WebSocket,
    private readonly ticket: Ticket,
  ) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      this.received.push(message);
      // As a line that plays everything at once: each mark is echoed as it arrives.
      if (message.event === 'mark') this.send({ event: 'mark', mark: { name: message.mark.name } });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(agent: TestAgent, ticket: Ticket, headers: Record<string, string> = {}): Promise<PageSocket> {
    const ws = new WebSocket(`${agent.url.replace('http', 'ws')}/phone/stream`, { headers: { 'User-Agent': 'TestBrowser/1.0', ...headers } });
    const page = new PageSocket(ws, ticket);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return page;
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ ...message, sequenceNumber: String(++this.sequence), streamSid: this.ticket.streamSid }));
  }

  start(token = this.ticket.token, callSid = this.ticket.callSid): void {
    this.send({
      event: 'start',
      start: {
        accountSid: '',
        streamSid: this.ticket.streamSid,
        callSid,
        tracks: ['inbound', 'outbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { token },
      },
    });
  }

  say(mulaw: Uint8Array): void {
    for (let i = 0; i < mulaw.length; i += 160) {
      this.send({ event: 'media', media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String((this.chunk - 1) * 20), payload: Buffer.from(mulaw.subarray(i, i + 160)).toString('base64') } });
    }
  }

  events(event: string): any[] {
    return this.received.filter((r) => r.event === event);
  }

  async waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('the softphone on the server', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('serves the page behind the sign-in, from a token link, with scripts only from here', async () => {
    agent = await TestAgent.start();
    const anonymous = await fetch(`${agent.url}/phone`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('Sign in');

    const link = await fetch(`${agent.url}/phone?token=${ADMIN_TOKEN}`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('/phone');
    const cookie = link.headers.get('set-cookie')!.split(';')[0];

    const page = await fetch(`${agent.url}/phone`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const policy = page.headers.get('content-security-policy')!;
    const directives = policy.split(';').map((d) => d.trim());
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain("script-src 'self'");
    const host = new URL(agent.url).host;
    expect(directives).toContain(`connect-src 'self' ws://${host} wss://${host}`);
    const body = await page.text();
    expect(body).toContain('<script src="/phone/static/phone.js" defer></script>');
    expect(body.match(/<script\b[^>]*>/g)).toEqual(['<script src="/phone/static/phone.js" defer>']);
    expect(page.headers.get('cache-control')).toBe('no-store');

    for (const file of ['phone.js', 'audio-core.js', 'capture-worklet.js', 'playback-worklet.js']) {
      const script = await fetch(`${agent.url}/phone/static/${file}`, { headers: { cookie } });
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    }
    expect((await fetch(`${agent.url}/phone/static/../../package.json`, { headers: { cookie } })).status).toBe(404);
    // The review pages link to it.
    expect(await (await fetch(`${agent.url}/calls`, { headers: { cookie } })).text()).toContain('<a href="/phone">Softphone</a>');
  });

  it('hands out tickets only to the admin, and never to a page from another site', async () => {
    agent = await TestAgent.start();
    expect((await fetch(`${agent.url}/phone/call`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${agent.url}/phone/call`, { method: 'POST', headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

    const ticket = await ticketFor(agent);
    expect(ticket).toEqual({ callSid: expect.stringMatching(/^WEB[0-9a-f]{32}$/), streamSid: expect.stringMatching(/^MZ/), token: expect.any(String), expiresInS: 60 });

    const link = await fetch(`${agent.url}/phone?token=${ADMIN_TOKEN}`, { redirect: 'manual' });
    const cookie = link.headers.get('set-cookie')!.split(';')[0];
    const host = new URL(agent.url).host;
    const foreign = await fetch(`${agent.url}/phone/call`, { method: 'POST', headers: { cookie, Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const ours = await fetch(`${agent.url}/phone/call`, { method: 'POST', headers: { cookie, Origin: `http://${host}` } });
    expect(ours.status).toBe(200);
  });

  it('refuses a wrong, reused or foreign ticket before any model connection', async () => {
    agent = await TestAgent.start();
    const ticket = await ticketFor(agent);

    const wrong = await PageSocket.open(agent, ticket);
    wrong.start('not-the-token');
    expect(await wrong.closed).toEqual({ code: 1008, reason: 'stream refused: wrong softphone token' });

    const otherCall = await PageSocket.open(agent, ticket);
    otherCall.start(ticket.token, 'WEB00000000000000000000000000000000');
    expect((await otherCall.closed).code).toBe(1008);

    const fromAnotherSite = await PageSocket.open(agent, ticket, { Origin: 'https://evil.example' });
    expect(await fromAnotherSite.closed).toEqual({ code: 1008, reason: 'forbidden' });
    expect(agent.fake.upgrades).toEqual([]);

    const good = await PageSocket.open(agent, ticket, { Origin: agent.url });
    good.start();
    await agent.fake.nextSession();
    expect(agent.fake.upgrades).toHaveLength(1);
    const reused = await PageSocket.open(agent, ticket);
    reused.start();
    expect(await reused.closed).toEqual({ code: 1008, reason: expect.stringMatching(/^stream refused: no softphone ticket/) });
    expect(agent.fake.upgrades).toHaveLength(1);
    good.ws.close();
  });

  it('is the same call as on the phone: greeting, the caller heard at the right pitch, the transcript live, a web call on record', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Welcome.' },
      { reply: (i) => ({ text: i === 0 ? 'Welcome to Ada Dental.' : 'Sure.', toneHz: 440, durationMs: 600 }) },
    );
    const ticket = await ticketFor(agent);
    const page = await PageSocket.open(agent, ticket, { 'User-Agent': 'Mozilla/5.0 (TestBrowser)' });
    page.start();
    const session = await agent.fake.nextSession();
    await page.waitFor(() => page.events('mark').length >= 15, 'the greeting');
    expect(page.events('media')[0].streamSid).toBe(ticket.streamSid);
    await page.waitFor(() => page.events('transcript').length >= 1, 'the greeting in the transcript');
    expect(page.events('transcript')[0]).toEqual({ event: 'transcript', role: 'agent', text: 'Welcome to Ada Dental.', atMs: expect.any(Number), interrupted: false, heardMs: 600, spokenMs: 600 });

    page.say(pcm16ToMulaw(sine(700, 8000, 600, 0.3)));
    page.say(new Uint8Array(8 * 800).fill(0xff));
    await page.waitFor(() => page.events('transcript').some((t) => t.role === 'caller'), 'the caller in the transcript');
    const input = session.inputAudioPcm24k();
    const loud = input.subarray(input.findIndex((v) => Math.abs(v) > 3000));
    expect(dominantFrequency(loud.subarray(0, 24 * 400), 24_000)).toBeCloseTo(700, -1);
    await page.waitFor(() => page.events('transcript').length >= 3, 'the reply in the transcript');

    page.send({ event: 'stop', stop: { accountSid: '', callSid: ticket.callSid } });
    expect((await page.closed).code).toBe(1000);
    expect(page.events('ended')).toEqual([{ event: 'ended', reason: 'caller-hung-up' }]);
    await session.closed;
    await agent.recordingsSettled();
    const call = (await agent.store.get(ticket.callSid))!;
    expect(call).toMatchObject({ direction: 'web', from: 'Mozilla/5.0 (TestBrowser)', to: 'softphone', streamSid: ticket.streamSid, endReason: 'caller-hung-up' });
    expect(call.transcript.map((t) => t.role)).toEqual(['agent', 'caller', 'agent']);
  });

  it('says so when all lines are busy', async () => {
    agent = await TestAgent.start({ MAX_CONCURRENT_CALLS: '1' });
    const first = await PageSocket.open(agent, await ticketFor(agent));
    first.start();
    await agent.fake.nextSession();
    const second = await PageSocket.open(agent, await ticketFor(agent));
    expect(await second.closed).toEqual({ code: 1013, reason: 'all lines are busy' });
    expect(agent.fake.upgrades).toHaveLength(1);
    first.ws.close();
  });
});
