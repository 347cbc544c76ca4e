import { performance } from 'node:perf_hooks';
import { mulawToPcm16 } from '../../src/audio';
import { TestAgent } from '../support/agent';
import { loadFixture } from '../support/fixtures';
import { dominantFrequency } from '../support/signal';

const APOLOGY_MS = loadFixture('../../assets/apology.ulaw').length / 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A signed webhook POST, as Twilio makes it; returns the status and TwiML. */
async function webhook(agent: TestAgent, callSid: string, signed = true): Promise<{ status: number; body: string }> {
  return agent.postAsTwilio('/incoming-call', { CallSid: callSid, From: '+15550001111', To: '+15550002222', Direction: 'inbound' }, signed);
}

function tokenOf(twiml: string): string {
  return /<Parameter name="token" value="([^"]+)"\/>/.exec(twiml)![1];
}

describe('only Twilio gets in', () => {
  let agent: TestAgent;
  beforeEach(async () => {
    // Model sessions opened by signed webhooks would blur what these tests count: sessions opened by streams.
    agent = await TestAgent.start({ EARLY_MODEL_SESSION: 'false' });
  });
  afterEach(async () => agent.stop());

  it('answers a signed webhook with a one-time stream token, and refuses an unsigned one', async () => {
    const answered = await webhook(agent, 'CA00000000000000000000000000000001');
    expect(answered.status).toBe(200);
    expect(tokenOf(answered.body).length).toBeGreaterThanOrEqual(32);
    expect(await webhook(agent, 'CA00000000000000000000000000000002', false)).toEqual({ status: 403, body: 'Forbidden' });
    await expect(agent.dial({ tamperSignature: true })).rejects.toMatchObject({ stage: 'webhook', status: 403 });
  });

  it('refuses a forged websocket upgrade before opening any model session', async () => {
    await expect(agent.dial({ tamperSignature: 'websocket' })).rejects.toBeDefined().catch(() => undefined);
    await sleep(100);
    expect(agent.fake.upgrades).toHaveLength(0);
    expect(agent.server.activeCalls.size).toBe(0);
  });

  it('bridges a stream only with its own unused token', async () => {
    const callSid = 'CA00000000000000000000000000000003';
    const token = tokenOf((await webhook(agent, callSid)).body);
    expect(await agent.rawStream(callSid, {})).toBe(1008);
    expect(await agent.rawStream(callSid, { token: 'wrong-token' })).toBe(1008);
    expect(await agent.rawStream('CA00000000000000000000000000000004', { token })).toBe(1008);
    expect(agent.fake.upgrades).toHaveLength(0);

    const call = await agent.dial();
    await call.waitForPlayedMs(200);
    expect(agent.fake.sessions).toHaveLength(1);
    // The token the simulator used is spent: replaying it is refused.
    expect(await agent.rawStream(call.callSid, { token: call.customParameters.token })).toBe(1008);
    expect(agent.fake.sessions).toHaveLength(1);
  });
});

describe('local development without signatures', () => {
  it('takes unsigned requests only with TWILIO_SKIP_SIGNATURE_CHECK on', async () => {
    const agent = await TestAgent.start({ TWILIO_SKIP_SIGNATURE_CHECK: 'true', PUBLIC_URL: 'https://localhost' });
    try {
      const answered = await webhook(agent, 'CA00000000000000000000000000000011', false);
      expect(answered.status).toBe(200);
      const call = await agent.dial({ signWebSocket: false, publicUrl: 'https://localhost' });
      await call.waitForPlayedMs(200);
    } finally {
      await agent.stop();
    }
  });
});

describe('when the model fails, the caller is never left in silence', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('reconnects after a mid-call drop and re-seeds the conversation as heard', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      {
        reply: (_n, request) =>
          /carry on/.test(JSON.stringify(request))
            ? { text: 'Sorry about that, as I said, it ships tomorrow.', toneHz: 700, durationMs: 800 }
            : { text: 'Your order ships tomorrow.', toneHz: 500, durationMs: 800 },
      },
    );
    const { call, session: first } = await agent.dialReady();
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(800, 10_000);
    await call.waitFor(() => !call.isPlaying(), 2000, 'first reply played');
    await sleep(100);

    first.drop();
    const second = await agent.fake.nextSession();
    const seeded = await second.waitFor((e) => e.type === 'conversation.item.create');
    expect(seeded).toMatchObject({ item: { role: 'user', content: [{ type: 'input_text', text: 'I would like some help.' }] } });
    await second.waitFor((e) => e.type === 'conversation.item.create' && e.item.type === 'message' && e.item.role === 'assistant');
    const resume = await second.waitFor((e) => e.type === 'response.create');
    expect(JSON.stringify(resume)).toMatch(/carry on/);

    // The caller hears the model again, from the new session.
    await call.waitForPlayedMs(1500, 5000);
    expect(dominantFrequency(mulawToPcm16(call.heard().subarray(900 * 8)), 8000)).toBeCloseTo(700, -1);
    expect(agent.server.activeCalls.size).toBe(1);
  });

  it('reconnects when the session expires at its cap', async () => {
    agent = await TestAgent.start();
    const call = await agent.dial();
    const first = await agent.fake.nextSession();
    await call.waitForPlayedMs(1400);
    first.sendError('session_expired', 'Your session hit the maximum duration of 60 minutes.');
    first.close(1000);
    const second = await agent.fake.nextSession();
    await second.waitFor((e) => e.type === 'session.update');
    expect(agent.server.activeCalls.size).toBe(1);
  });

  it('plays the shipped apology and hangs up when the key is refused (no retry on 401)', async () => {
    agent = await TestAgent.start({}, { refuseUpgrade: () => ({ status: 401, body: '{"error":{"code":"invalid_api_key"}}' }) });
    const call = await agent.dial();
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    expect(agent.fake.upgrades).toHaveLength(1);
    expect(call.playedMs()).toBeGreaterThan(APOLOGY_MS - 100);
    expect(call.violations).toEqual([]);
  });

  it('retries a refused connection, then apologises and hangs up', async () => {
    agent = await TestAgent.start({ OPENAI_BASE_URL: 'https://127.0.0.1:1/v1' });
    const call = await agent.dial();
    const started = performance.now();
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    // Three retries (0 + 0.5 + 2 s of backoff) and the whole apology.
    expect(closed.at - started).toBeGreaterThan(2500 + APOLOGY_MS - 200);
    expect(call.playedMs()).toBeGreaterThan(APOLOGY_MS - 100);
  });
});

describe('limits and lifecycle', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('warns before the maximum duration, then says goodbye and hangs up', async () => {
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Okay.', toneHz: 440, durationMs: 400 }) }, (config) => {
      config.limits.maxCallMs = 3000;
    });
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    const warning = await session.waitFor((e) => e.type === 'response.create' && /end in a moment/.test(JSON.stringify(e)), 4000);
    expect(warning).toBeDefined();
    await session.waitFor((e) => e.type === 'response.create' && /time limit/.test(JSON.stringify(e)), 4000);
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    // The goodbye played before the line closed.
    expect(call.playedMs()).toBeGreaterThan(3 * 400 - 100);
  });

  it('asks whether the caller is still there, then hangs up when nobody answers', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' }, { reply: () => ({ text: 'Hello?', toneHz: 440, durationMs: 300 }) }, (config) => {
      config.limits.idleTimeoutMs = 1000;
    });
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    await session.waitFor((e) => e.type === 'response.create' && /still there/.test(JSON.stringify(e)), 3000);
    await session.waitFor((e) => e.type === 'response.create' && /gone quiet/.test(JSON.stringify(e)), 8000);
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
  });

  it('answers with a polite busy message beyond the concurrent call limit', async () => {
    agent = await TestAgent.start({ MAX_CONCURRENT_CALLS: '1' });
    const call = await agent.dial();
    await call.waitForPlayedMs(100);
    const busy = await webhook(agent, 'CA00000000000000000000000000000009');
    expect(busy.status).toBe(200);
    expect(busy.body).toMatch(/<Say>Sorry, all of our lines are busy.*<\/Say><Hangup\/>/);
    expect(busy.body).not.toMatch(/<Stream/);
  });

  it('fills gaps in inbound media with silence so the caller\'s turn can end', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' });
    const { call, session } = await agent.dialReady();
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => session.speechStartedAt.length === 1, 5000, 'speech started');
    await call.waitFor(() => call.speechQueuedMs() === 0, 5000, 'speech sent');
    // Twilio stops sending media right after the caller's words: no silence ever arrives.
    call.setSendMedia(false);
    await session.waitFor((e) => e.type === 'response.create' || e.type === 'input_audio_buffer.append', 3000);
    await call.waitFor(() => session.serverEvents.some((e) => e.type === 'input_audio_buffer.speech_stopped'), 5000, 'speech stopped');
  });

  it('drains on shutdown: refuses new calls, lets the active one finish, then closes', async () => {
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Hi.', toneHz: 440, durationMs: 300 }) });
    const call = await agent.dial();
    await call.waitForPlayedMs(250);
    const drained = agent.server.drain(10_000);
    await sleep(50);
    const refused = await webhook(agent, 'CA00000000000000000000000000000010').catch(() => undefined);
    if (refused) expect(refused.body).toMatch(/not taking calls/);
    expect(agent.server.activeCalls.size).toBe(1);
    const hungUpAt = performance.now();
    await call.hangUp();
    await drained;
    expect(performance.now() - hungUpAt).toBeLessThan(1000);
    expect(agent.server.activeCalls.size).toBe(0);
  });
});
