import { performance } from 'node:perf_hooks';
import { mulawToPcm16, pcm16ToMulaw } from '../../src/audio';
import { TestAgent } from '../support/agent';
import { loadFixture } from '../support/fixtures';
import { dominantFrequency, rmsDbfs, sine } from '../support/signal';

/** The caller's audio of the agent, decoded, from `fromMs` on. */
function heardPcm(heard: Uint8Array, fromMs = 0): Int16Array {
  return mulawToPcm16(heard.subarray(fromMs * 8));
}

describe('a call through the bridge (fake Realtime server, simulated Twilio caller)', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('greets the caller first, at the right pitch, with the persona in the session', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Welcome to Ada Dental.', AGENT_INSTRUCTIONS: 'You are Ada.', AGENT_VOICE: 'cedar' },
      { reply: () => ({ text: 'Welcome to Ada Dental.', toneHz: 440, durationMs: 1500 }) },
    );
    const call = await agent.dial({ from: '+15550001111' });
    const session = await agent.fake.nextSession();
    await call.waitForPlayedMs(1400);

    expect(session.model).toBe('gpt-realtime-2.1');
    expect(session.authorization).toBe('Bearer sk-test-key-0123456789');
    // Audio is not worth deflating: the socket never offers compression.
    expect(agent.fake.upgrades[0]!.headers['sec-websocket-extensions']).toBeUndefined();
    const update = await session.waitFor((e) => e.type === 'session.update');
    expect(update).toMatchObject({
      session: {
        type: 'realtime',
        instructions: 'You are Ada.',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            transcription: { model: 'gpt-realtime-whisper' },
            turn_detection: { type: 'server_vad', silence_duration_ms: 500, interrupt_response: true },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'cedar' },
        },
      },
    });
    const greeting = await session.waitFor((e) => e.type === 'response.create');
    expect(JSON.stringify(greeting)).toContain('Welcome to Ada Dental.');
    expect(call.customParameters).toMatchObject({ from: '+15550001111' });

    const heard = heardPcm(call.heard());
    expect(dominantFrequency(heard, 8000)).toBeCloseTo(440, -1);
    // 0.3 of full scale is about -13.5 dBFS; μ-law and the resampler keep the level.
    expect(rmsDbfs(heard.subarray(800, 8000))).toBeGreaterThan(-15);
    expect(call.violations).toEqual([]);
  });

  it('waits for the caller when the greeting is empty', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' });
    const { call, session } = await agent.dialReady();
    await new Promise((r) => setTimeout(r, 300));
    expect(session.clientEvents.some((e) => e.type === 'response.create')).toBe(false);
    expect(call.received.filter((r) => r.message.event === 'media')).toHaveLength(0);
  });

  it('sends caller audio to the model as 24 kHz PCM16 at the right pitch', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' });
    const { call, session } = await agent.dialReady();
    call.say(pcm16ToMulaw(sine(1000, 8000, 600, 0.3)));
    await call.waitFor(() => session.inputAudioPcm24k().length >= 24 * 1500, 5000, '1.5 s of input');

    const input = session.inputAudioPcm24k();
    const loudest = input.subarray(input.findIndex((s) => Math.abs(s) > 3000));
    expect(dominantFrequency(loudest.subarray(0, 24 * 400), 24000)).toBeCloseTo(1000, -1);
    expect(rmsDbfs(loudest.subarray(0, 24 * 400))).toBeCloseTo(rmsDbfs(sine(1000, 8000, 400, 0.3)), 0);
  });

  it('answers the caller, and the reply is heard at the right pitch', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      { reply: () => ({ text: 'Your order ships tomorrow.', toneHz: 660, durationMs: 1200 }) },
    );
    const { call, session } = await agent.dialReady();
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(1100, 10_000);
    expect(session.speechStartedAt.length).toBeGreaterThanOrEqual(1);
    expect(dominantFrequency(heardPcm(call.heard()), 8000)).toBeCloseTo(660, -1);
    expect(call.violations).toEqual([]);
  });

  it('stops talking when the caller barges in, and truncates the reply at what was heard', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      { reply: () => ({ text: 'Let me tell you all about our opening hours and our services.', toneHz: 500, durationMs: 10_000 }) },
    );
    const { call, session } = await agent.dialReady();

    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(2000, 15_000);
    const speechStartsBefore = session.speechStartedAt.length;
    call.say(loadFixture('caller-interrupt.ulaw'));

    await call.waitFor(() => call.clears.length > 0, 3000, 'clear');
    const truncation = await session.waitFor((e) => e.type === 'conversation.item.truncate');
    const playedAtClear = call.playedMs();
    const speechStartedAt = session.speechStartedAt[speechStartsBefore];
    expect(speechStartedAt).toBeDefined();

    // Playback stops within 100 ms of the model hearing the caller.
    const stoppedAt = call.playbackStoppedAt[call.playbackStoppedAt.length - 1];
    expect(stoppedAt - speechStartedAt).toBeLessThan(100);
    expect(call.clears[0] - speechStartedAt).toBeLessThan(100);

    // The model forgets exactly what the caller did not hear (within 100 ms), as an integer.
    expect(truncation).toMatchObject({ type: 'conversation.item.truncate', content_index: 0 });
    const audioEndMs = (truncation as { audio_end_ms: number }).audio_end_ms;
    expect(Number.isInteger(audioEndMs)).toBe(true);
    expect(Math.abs(audioEndMs - playedAtClear)).toBeLessThan(40);
    expect(session.truncations).toEqual([expect.objectContaining({ audio_end_ms: audioEndMs })]);
    expect(session.errorsSent).toEqual([]);

    // Late deltas of the interrupted reply never reach the caller.
    await new Promise((r) => setTimeout(r, 500));
    expect(call.playedMs()).toBeCloseTo(playedAtClear, -1);
    expect(call.violations).toEqual([]);
  });

  it('truncates at what was heard when Twilio is far away: echoes come back late, and the clear arrives late', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '' },
      { reply: () => ({ text: 'Let me tell you all about our opening hours and our services.', toneHz: 500, durationMs: 10_000 }) },
    );
    // 60 ms each way: counted from the last echo alone, the cut would be ~120 ms short.
    const { call, session } = await agent.dialReady({ networkDelayMs: 60 });
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(2000, 15_000);
    call.say(loadFixture('caller-interrupt.ulaw'));

    await call.waitFor(() => call.clears.length > 0, 3000, 'clear');
    const heardAtClear = call.playedMs(); // playout stopped where the clear found it
    const truncation = await session.waitFor((e) => e.type === 'conversation.item.truncate');
    const audioEndMs = (truncation as { audio_end_ms: number }).audio_end_ms;
    expect(Math.abs(audioEndMs - heardAtClear)).toBeLessThan(40);
    expect(call.violations).toEqual([]);
  });

  it('leaves playback alone when the caller speaks while nothing plays', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' }, { reply: () => ({ text: 'Sure.', toneHz: 500, durationMs: 300 }) });
    const { call, session } = await agent.dialReady();
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(280, 10_000);
    await call.waitFor(() => !call.isPlaying(), 2000, 'reply finished');
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => session.speechStartedAt.length >= 2, 5000, 'second speech_started');
    await new Promise((r) => setTimeout(r, 100));
    expect(call.clears).toEqual([]);
    expect(session.clientEvents.some((e) => e.type === 'conversation.item.truncate')).toBe(false);
  });

  it('closes the model socket within 1 s of the caller hanging up', async () => {
    agent = await TestAgent.start();
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    await call.waitForPlayedMs(200);
    const hungUpAt = performance.now();
    await call.hangUp();
    const closed = await session.closed;
    expect(closed.at - hungUpAt).toBeLessThan(1000);
    await call.waitFor(() => agent.server.activeCalls.size === 0, 1000, 'call removed');
  });

  it('keeps concurrent calls apart', async () => {
    let n = 0;
    agent = await TestAgent.start({}, { reply: () => ({ text: 'Hi.', toneHz: n++ === 0 ? 400 : 800, durationMs: 800 }) });
    const first = await agent.dial();
    await agent.fake.nextSession();
    const second = await agent.dial();
    await agent.fake.nextSession();
    await Promise.all([first.waitForPlayedMs(750), second.waitForPlayedMs(750)]);
    expect(dominantFrequency(heardPcm(first.heard()), 8000)).toBeCloseTo(400, -1);
    expect(dominantFrequency(heardPcm(second.heard()), 8000)).toBeCloseTo(800, -1);
    await first.hangUp();
    await agent.fake.sessions[0].closed;
    expect(agent.fake.sessions[1].clientEvents.length).toBeGreaterThan(0);
    expect(agent.server.activeCalls.size).toBe(1);
  });

  it('bridges μ-law untouched in passthrough mode', async () => {
    agent = await TestAgent.start({ AUDIO_MODE: 'passthrough' }, { reply: () => ({ text: 'Hello.', toneHz: 440, durationMs: 1000 }) });
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    const update = await session.waitFor((e) => e.type === 'session.update');
    expect(update).toMatchObject({ session: { audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } });
    await call.waitForPlayedMs(900);
    expect(dominantFrequency(heardPcm(call.heard()), 8000)).toBeCloseTo(440, -1);
  });

  it('gives the model Twilio\'s μ-law untouched and downsamples its PCM16 in hybrid mode', async () => {
    agent = await TestAgent.start({ AUDIO_MODE: 'hybrid' }, { reply: () => ({ text: 'Hello.', toneHz: 440, durationMs: 1000 }) });
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    const update = await session.waitFor((e) => e.type === 'session.update');
    expect(update).toMatchObject({ session: { audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcm', rate: 24000 } } } } });
    await call.waitForPlayedMs(900);
    expect(dominantFrequency(heardPcm(call.heard()), 8000)).toBeCloseTo(440, -1);
  });
});
