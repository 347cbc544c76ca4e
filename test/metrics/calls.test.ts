import { loadFixture } from '../support/fixtures';
import { TestAgent } from '../support/agent';
import { valueOf } from './exposition';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls through the real server, the fake model and the Twilio simulator, read back as a scraper sees them. */
describe('metrics of real calls', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  const scrape = () => agent.server.metrics.registry.metrics();

  it('count a call from start to end: first audio, reply latency, a barge-in, tokens, cost and how it ended', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      { reply: () => ({ text: 'Let me tell you all about our opening hours and our services.', toneHz: 500, durationMs: 10_000 }) },
    );
    const { call, session } = await agent.dialReady();
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(2000, 15_000);

    let text = await scrape();
    expect(valueOf(text, 'phone_agent_active_calls')).toBe(1);
    expect(valueOf(text, 'phone_agent_calls_started_total', { direction: 'inbound' })).toBe(1);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_count')).toBe(1);
    expect(valueOf(text, 'phone_agent_reply_latency_seconds_count')).toBe(1);
    expect(valueOf(text, 'phone_agent_reply_latency_seconds_sum')).toBeGreaterThan(0);
    expect(valueOf(text, 'phone_agent_barge_ins_total')).toBe(0);

    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => call.clears.length > 0, 3000, 'clear');
    await session.waitFor((e) => e.type === 'conversation.item.truncate');
    // The interrupted response is done (cancelled), with its usage.
    await call.waitFor(() => session.serverEvents.some((e) => e.type === 'response.done'), 3000, 'response.done');
    await sleep(50);
    await call.hangUp();
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call ended');

    text = await scrape();
    expect(valueOf(text, 'phone_agent_barge_ins_total')).toBe(1);
    expect(valueOf(text, 'phone_agent_active_calls')).toBe(0);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { direction: 'inbound', reason: 'caller-hung-up' })).toBe(1);
    expect(valueOf(text, 'phone_agent_model_tokens_total', { kind: 'audio_out' })).toBeGreaterThan(0);
    expect(valueOf(text, 'phone_agent_estimated_cost_usd_total')).toBeGreaterThan(0);
    expect(valueOf(text, 'phone_agent_model_reconnects_total')).toBe(0);
    expect(valueOf(text, 'phone_agent_model_failures_total')).toBe(0);

    // The metrics saw what the call record saw.
    const record = await agent.store.get(call.callSid);
    expect(record?.bargeIns).toBe(1);
    expect(record?.firstAudioMs! / 1000).toBeCloseTo(valueOf(text, 'phone_agent_first_audio_seconds_sum')!, 3);
    expect(record?.costUsd).toBeCloseTo(valueOf(text, 'phone_agent_estimated_cost_usd_total')!, 9);
  });

  it('count a reconnect after the model drops mid-call', async () => {
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Hello.', toneHz: 440, durationMs: 400 }) });
    const call = await agent.dial();
    const first = await agent.fake.nextSession();
    await call.waitForPlayedMs(350);
    first.drop();
    const second = await agent.fake.nextSession();
    await second.waitFor((e) => e.type === 'session.update');
    expect(valueOf(await scrape(), 'phone_agent_model_reconnects_total')).toBe(1);
  });

  it('count a call the model failed: the apology, then model-error', async () => {
    agent = await TestAgent.start({}, { refuseUpgrade: () => ({ status: 401, body: '{"error":{"code":"invalid_api_key"}}' }) });
    const call = await agent.dial();
    await call.closedByServer;
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call ended');
    const text = await scrape();
    expect(valueOf(text, 'phone_agent_model_failures_total')).toBe(1);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { direction: 'inbound', reason: 'model-error' })).toBe(1);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_count')).toBe(0);
  });

  it('/ready is 503 while the server drains, and /health says draining', async () => {
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Hi.', toneHz: 440, durationMs: 300 }) });
    const call = await agent.dial();
    await call.waitForPlayedMs(250);
    expect((await fetch(`${agent.url}/ready`)).status).toBe(200);

    const drained = agent.server.drain(10_000);
    const ready = await fetch(`${agent.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { acceptingCalls: 'draining' }, failed: ['acceptingCalls'] });
    const health = await fetch(`${agent.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'draining', activeCalls: 1 });

    await call.hangUp();
    await drained;
  });

  it('takes calls for the drain notice while /ready already says it is leaving, then refuses them', async () => {
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Hi.', toneHz: 440, durationMs: 300 }) });
    const call = await agent.dial();
    await call.waitForPlayedMs(250);
    const webhook = (n: number) => agent.postAsTwilio('/incoming-call', { CallSid: `CA0000000000000000000000000000002${n}`, From: '+15550001111', To: '+15550002222' });
    const drained = agent.server.drain(10_000, 500);
    expect((await fetch(`${agent.url}/ready`)).status).toBe(503);
    expect((await fetch(`${agent.url}/health`)).status).toBe(200);
    expect((await webhook(1)).body).toContain('<Connect');
    await new Promise((r) => setTimeout(r, 700)); // the notice is over
    expect((await webhook(2)).body).toMatch(/not taking calls/);
    await call.hangUp();
    await drained;
  });
});
