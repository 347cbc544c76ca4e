import { main as callsCli } from '../../scripts/calls';
import type { CallDetail, CallSummary } from '../../src/store';
import { ADMIN_TOKEN, TestAgent } from '../support/agent';
import { loadFixture } from '../support/fixtures';

const REPLY = 'Let me tell you all about our opening hours, our services, our prices and our wonderful staff.';

describe('every call leaves a truthful record', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${agent.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  }

  it('records a barged-in call with the agent turn cut where the caller interrupted', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: '', RECORD_CALLS: 'true' },
      {
        reply: (n) =>
          n === 0 ? { text: REPLY, toneHz: 500, durationMs: 8000 } : { text: 'Of course, one moment.', toneHz: 600, durationMs: 600 },
        callerTranscript: (n) => (n === 0 ? 'What are your opening hours?' : 'Can I speak to a human?'),
      },
    );
    const { call } = await agent.dialReady({ from: '+15550001111', to: '+15550002222' });
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(2000, 15_000);
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => call.clears.length > 0, 3000, 'barge-in');
    const heardAtClear = call.playedMs();
    await call.waitForPlayedMs(heardAtClear + 550, 10_000);
    await call.waitFor(() => !call.isPlaying(), 3000, 'answer played');
    await call.hangUp();
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    await agent.recordingsSettled();

    const { calls } = await api<{ calls: CallSummary[] }>('/api/calls');
    expect(calls).toEqual([
      expect.objectContaining({ callSid: call.callSid, from: '+15550001111', to: '+15550002222', endReason: 'caller-hung-up' }),
    ]);
    const record = await api<CallDetail>(`/api/calls/${call.callSid}`);
    expect(record).toMatchObject({
      direction: 'inbound',
      model: 'gpt-realtime-2.1',
      voice: 'marin',
      audioMode: 'pcm16',
      bargeIns: 1,
      firstAudioMs: expect.any(Number),
      recordingFile: `${call.callSid}.wav`,
    });
    expect(record.durationMs).toBeGreaterThan(4000);
    expect(record.usage.audioOut).toBeGreaterThan(0);
    expect(record.costUsd).toBeGreaterThan(0);
    expect(record.turnLatenciesMs).toHaveLength(2);

    const transcript = record.transcript.map((t) => [t.role, t.text, t.interrupted]);
    expect(transcript).toEqual([
      ['caller', 'What are your opening hours?', false],
      ['agent', expect.any(String), true],
      ['caller', 'Can I speak to a human?', false],
      ['agent', 'Of course, one moment.', false],
    ]);
    const cut = record.transcript[1];
    expect(REPLY.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeLessThan(REPLY.length / 2);
    expect(Math.abs(cut.heardMs! - heardAtClear)).toBeLessThan(100);
    expect(record.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'barge-in' })]));

    // The terminal shows the same call, interruption marked.
    let printed = '';
    const io = { out: (t: string) => (printed += t), err: (t: string) => (printed += t), env: { DATABASE_PATH: agent.config.store.databasePath } };
    expect(await callsCli(['list'], io)).toBe(0);
    expect(printed).toContain('+15550001111');
    printed = '';
    expect(await callsCli(['show', call.callSid], io)).toBe(0);
    expect(printed).toContain('What are your opening hours?');
    expect(printed).toContain(cut.text);
    expect(printed).toMatch(/interrupted/i);
    printed = '';
    expect(await callsCli(['show', call.callSid, '--json'], io)).toBe(0);
    expect(JSON.parse(printed)).toMatchObject({ callSid: call.callSid, bargeIns: 1 });

    const wav = await fetch(`${agent.url}/api/calls/${call.callSid}/recording`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(wav.status).toBe(200);
    const bytes = Buffer.from(await wav.arrayBuffer());
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.readUInt16LE(22)).toBe(2);
  });

  it('keeps the record of a call whose model failed, with the reason', async () => {
    agent = await TestAgent.start({}, { refuseUpgrade: () => ({ status: 401 }) });
    const call = await agent.dial();
    await call.closedByServer;
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    const record = await api<CallDetail>(`/api/calls/${call.callSid}`);
    expect(record.endReason).toBe('model-error');
    expect(record.events.map((e) => e.type)).toContain('error');
  });
});
