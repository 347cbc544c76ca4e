import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { mulawToPcm16, pcm16ToMulaw } from '../../src/audio';
import { ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import type { FakeSession, ReplySpec } from '../support/fakeRealtime';
import { loadFixture } from '../support/fixtures';
import { dominantFrequency, sine } from '../support/signal';
import { signTwilioRequest } from '../support/twilioSimulator';

/**
 * Calls through the real server, the Twilio simulator and the fake Realtime server, for what goes wrong on
 * real lines: long answers talked over, sockets that never start or stop answering, replayed webhooks and
 * models that never become ready.
 */

const APOLOGY_MS = loadFixture('../../assets/apology.ulaw').length / 8;
const LONG: ReplySpec = { text: 'Let me read you our whole catalogue, page by page.', toneHz: 500, durationMs: 60_000 };
const SHORT: ReplySpec = { text: 'Of course.', toneHz: 700, durationMs: 800 };

/** Replies: the first response of the whole test is a minute long, every later one short. */
function longThenShort(): (index: number) => ReplySpec {
  let responses = 0;
  return () => (responses++ === 0 ? LONG : SHORT);
}

async function webhook(agent: TestAgent, callSid: string): Promise<{ status: number; body: string }> {
  return agent.postAsTwilio('/incoming-call', { CallSid: callSid, From: '+15550001111', To: '+15550002222', Direction: 'inbound' });
}

/** A media stream socket with a valid upgrade signature, opened by hand. */
async function signedSocket(agent: TestAgent, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${agent.url.replace('http', 'ws')}/media-stream`, {
    ...options,
    headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `wss://${new URL(PUBLIC_URL).host}/media-stream`, {}) },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

const closeOf = (ws: WebSocket) => new Promise<{ code: number; at: number }>((resolve) => ws.once('close', (code) => resolve({ code, at: performance.now() })));

/** The agent channel of a stereo WAV: ms of it that are not silence, in 10 ms blocks. */
function audibleAgentMs(wav: Buffer): number {
  const frames = (wav.length - 44) / 4;
  let audibleBlocks = 0;
  for (let block = 0; block + 80 <= frames; block += 80) {
    let energy = 0;
    for (let i = block; i < block + 80; i++) energy += wav.readInt16LE(44 + i * 4 + 2) ** 2;
    if (Math.sqrt(energy / 80) > 1000) audibleBlocks++;
  }
  return audibleBlocks * 10;
}

/** Instructions the call asked the model to speak while the model's VAD had the caller talking. */
function requestsOverTheCaller(session: FakeSession): string[] {
  const over: string[] = [];
  session.on('client-event', (event) => {
    if (event.type !== 'response.create') return;
    const types = session.serverEvents.map((e) => e.type);
    if (types.lastIndexOf('input_audio_buffer.speech_started') > types.lastIndexOf('input_audio_buffer.speech_stopped')) {
      over.push(event.response?.instructions ?? '');
    }
  });
  return over;
}

describe('hardening (real server, simulated Twilio, fake model)', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('survives a barge-in 3 s into a 60 s answer generated at 10× real time, and the next reply is heard', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' }, { speedup: 10, reply: longThenShort() });
    const { call, session } = await agent.dialReady();
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(3000, 15_000);
    // Far less than the minute of generated audio is queued at Twilio: marks stay few.
    expect(call.bufferedMs()).toBeLessThanOrEqual(1100);
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => call.clears.length > 0, 5000, 'clear');
    const heardAtClear = call.playedMs();
    await call.waitForPlayedMs(heardAtClear + SHORT.durationMs - 100, 10_000);

    const next = mulawToPcm16(call.heard().subarray(Math.ceil(heardAtClear) * 8));
    expect(dominantFrequency(next, 8000)).toBeCloseTo(SHORT.toneHz, -1);
    expect(call.markEchoes.filter((e) => e.cleared).length).toBeLessThanOrEqual(30);
    expect(session.truncations[0].audio_end_ms).toBeGreaterThan(2500);
    expect(agent.server.activeCalls.size).toBe(1);
    expect(call.violations).toEqual([]);
  });

  it('survives the clear of a reconnect in the middle of a long answer, and keeps only heard audio in the recording', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hello!', RECORD_CALLS: 'true' },
      { speedup: 10, reply: longThenShort(), faults: (i) => (i === 0 ? { dropAfterMs: 4000 } : undefined) },
    );
    const call = await agent.dial();
    await call.waitFor(() => call.clears.length > 0, 10_000, 'the reconnect clear');
    const heardAtClear = call.playedMs();
    await call.waitForPlayedMs(heardAtClear + SHORT.durationMs - 100, 10_000); // "sorry, where were we"
    expect(agent.fake.sessions).toHaveLength(2);
    expect(agent.server.activeCalls.size).toBe(1);

    await call.hangUp();
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    await agent.recordingsSettled();
    const wav = await fetch(`${agent.url}/api/calls/${call.callSid}/recording`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const heardMs = audibleAgentMs(Buffer.from(await wav.arrayBuffer()));
    // What was queued at Twilio and cleared never played, so it is not in the recording either.
    expect(Math.abs(heardMs - call.playedMs())).toBeLessThan(150);
  });

  it('survives the clear of the apology in the middle of a long answer, and the apology is heard in full', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hello!' },
      { speedup: 10, reply: longThenShort(), faults: (i) => (i === 0 ? { dropAfterMs: 4000 } : { refuse: { status: 401 } }) },
    );
    const call = await agent.dial();
    await call.waitFor(() => call.clears.length > 0, 10_000, 'the apology clear');
    const heardAtClear = call.playedMs();
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    expect(call.playedMs() - heardAtClear).toBeGreaterThan(APOLOGY_MS - 100);
  });

  it('holds no call slot for a socket that never sends start, and closes it', async () => {
    agent = await TestAgent.start({ MAX_CONCURRENT_CALLS: '1' }, {}, (config) => {
      config.limits.streamStartTimeoutMs = 500;
    });
    const silent = await signedSocket(agent);
    const closed = closeOf(silent);
    const openedAt = performance.now();
    expect(agent.server.activeCalls.size).toBe(0);
    // The one slot is free for a real call.
    const call = await agent.dial();
    await call.waitForPlayedMs(200);
    const { code, at } = await closed;
    expect(code).toBe(1008);
    expect(at - openedAt).toBeLessThan(1500);
    expect(agent.fake.upgrades).toHaveLength(1);
  });

  it('ends a call whose Twilio socket stops answering pings', async () => {
    agent = await TestAgent.start({}, {}, (config) => {
      config.limits.keepAliveMs = 200;
    });
    const callSid = 'CA00000000000000000000000000000042';
    const token = /name="token" value="([^"]+)"/.exec((await webhook(agent, callSid)).body)![1];
    const halfOpen = await signedSocket(agent, { autoPong: false });
    const closed = closeOf(halfOpen);
    halfOpen.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: 'MZ42',
        start: {
          accountSid: ACCOUNT_SID,
          streamSid: 'MZ42',
          callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { token },
        },
      }),
    );
    const session = await agent.fake.nextSession();
    await closed;
    await session.closed;
    expect(agent.server.activeCalls.size).toBe(0);
  });

  it('answers a replayed webhook for a call already answered without minting a second stream token', async () => {
    agent = await TestAgent.start();
    const callSid = 'CA00000000000000000000000000000077';
    const first = await webhook(agent, callSid);
    expect(first.body).toContain('name="token"');
    const replayed = await webhook(agent, callSid);
    expect(replayed.status).toBe(409);
    expect(replayed.body).not.toContain('token');
  });

  it('apologises within 10 s of the stream starting when the model never accepts the session', async () => {
    agent = await TestAgent.start({}, { faults: () => ({ sessionUpdate: 'ignore' }) });
    const dialedAt = performance.now();
    const call = await agent.dial();
    const closed = await call.closedByServer;
    expect(call.playbackStartedAt[0] - dialedAt).toBeLessThan(10_000);
    expect(call.playedMs()).toBeGreaterThan(APOLOGY_MS - 100);
    expect(closed.code).toBe(1000);
    expect(agent.fake.sessions.every((s) => !s.isOpen)).toBe(true);
  }, 20_000);

  it('apologises at once when the model refuses the session settings', async () => {
    agent = await TestAgent.start({}, { faults: () => ({ sessionUpdate: 'reject' }) });
    const dialedAt = performance.now();
    const call = await agent.dial();
    await call.closedByServer;
    expect(call.playbackStartedAt[0] - dialedAt).toBeLessThan(2000);
    expect(agent.fake.upgrades).toHaveLength(1);
  });

  it('does not ask whether the caller is still there while they are talking', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' }, {}, (config) => {
      config.limits.idleTimeoutMs = 1000;
    });
    const { call, session } = await agent.dialReady();
    const over = requestsOverTheCaller(session);
    call.say(pcm16ToMulaw(sine(300, 8000, 3000, 0.3))); // three seconds of talking without a pause
    await call.waitFor(() => session.speechStartedAt.length > 0, 2000, 'speech started');
    await new Promise((r) => setTimeout(r, 2500));
    expect(over).toEqual([]);
    expect(session.clientEvents.some((e) => e.type === 'response.create')).toBe(false);
  });

  it('does not speak a warning queued during a reply over the caller who barged into that reply', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: 'Hello!' }, { reply: longThenShort() }, (config) => {
      config.limits.maxCallMs = 6000; // the warning is due 1.5 s before the end, while the greeting plays
    });
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    const over = requestsOverTheCaller(session);
    await call.waitForPlayedMs(4700, 10_000);
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => call.clears.length > 0, 3000, 'barge-in');
    await call.closedByServer;
    expect(over).toEqual([]);
    const asked = session.clientEvents.flatMap((e) => (e.type === 'response.create' ? [e.response?.instructions ?? ''] : []));
    // The caller talked until the limit: the warning gave way to the goodbye, said once they had finished.
    expect(asked.some((i) => i.includes('goodbye'))).toBe(true);
  });

  it('greets first when the caller says hello while the model is still connecting', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: 'Hello, Ada Dental!' }, { reply: () => SHORT, faults: () => ({ sessionUpdateDelayMs: 3000 }) });
    const call = await agent.dial();
    call.say(loadFixture('caller-interrupt.ulaw')); // "hello?" into the silence, 2.3 s
    await call.waitForPlayedMs(SHORT.durationMs - 50, 10_000);
    const session = agent.fake.sessions[0];
    await call.waitFor(() => session.responses[0]?.status !== 'in_progress', 2000, 'greeting done');
    expect(session.responses[0].status).toBe('completed');
    expect(JSON.stringify(session.clientEvents.find((e) => e.type === 'response.create'))).toContain('Hello, Ada Dental!');
    expect(call.clears).toEqual([]);
  });

  it('stops the agent within 150 ms of the caller talking over it, even when the model hears it 300 ms late', async () => {
    const measure = async (localBargeIn: string) => {
      const started = await TestAgent.start({ AGENT_GREETING: 'Hello!', LOCAL_BARGE_IN: localBargeIn }, { reply: () => LONG, speechStartedDelayMs: 300 });
      try {
        const call = await started.dial();
        await call.waitForPlayedMs(2000, 10_000);
        call.say(loadFixture('caller-interrupt.ulaw'));
        await call.waitFor(() => call.clears.length > 0, 5000, 'clear');
        const session = started.fake.sessions[0];
        await call.waitFor(() => session.truncations.length > 0, 2000, 'truncation');
        return call.clears[0] - call.saidAt[0];
      } finally {
        await started.stop();
      }
    };
    const local = await measure('true');
    const modelOnly = await measure('false');
    expect(local).toBeLessThanOrEqual(150);
    expect(modelOnly).toBeGreaterThan(300);
  }, 30_000);

  it('greets sooner when the model session opens while the phone rings', async () => {
    // A realistic setup: the model takes 300 ms to connect and 200 ms to apply the settings; Twilio takes
    // 400 ms from the webhook's answer to the stream.
    const slowModel = { faults: () => ({ acceptDelayMs: 300, sessionUpdateDelayMs: 200 }), reply: () => ({ text: 'Hello!', toneHz: 440, durationMs: 800 }) };
    const firstGreetingFrame = async (early: string) => {
      const started = await TestAgent.start({ AGENT_GREETING: 'Hello!', EARLY_MODEL_SESSION: early }, slowModel);
      try {
        const call = await started.dial({ answerDelayMs: 400 });
        const streamStartedAt = performance.now();
        await call.waitFor(() => call.playbackStartedAt.length > 0, 5000, 'greeting');
        return call.playbackStartedAt[0] - streamStartedAt;
      } finally {
        await started.stop();
      }
    };
    const withEarly = await firstGreetingFrame('true');
    const without = await firstGreetingFrame('false');
    console.log(`stream start → first greeting frame: ${withEarly.toFixed(0)} ms with the early session, ${without.toFixed(0)} ms without`);
    expect(without - withEarly).toBeGreaterThan(250);
  }, 30_000);
});
