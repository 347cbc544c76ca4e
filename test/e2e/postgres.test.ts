import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallDetail, CallSummary } from '../../src/store';
import { ADMIN_TOKEN, TestAgent } from '../support/agent';
import { loadFixture } from '../support/fixtures';
import { createTestSchema, type TestSchema } from '../support/postgres';

/** Two instances of the server on one PostgreSQL schema and one recordings folder, as behind a load balancer. */
describe('several instances on PostgreSQL', () => {
  let schema: TestSchema;
  let recordings: string;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    schema = await createTestSchema('e2e');
    recordings = mkdtempSync(path.join(tmpdir(), 'shared-recordings-'));
  });
  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await schema?.drop();
    rmSync(recordings, { recursive: true, force: true });
  });

  async function api<T>(agent: TestAgent, route: string): Promise<{ status: number; body: T; bytes: Buffer }> {
    const response = await fetch(`${agent.url}${route}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const bytes = Buffer.from(await response.arrayBuffer());
    const json = response.headers.get('content-type')?.startsWith('application/json');
    return { status: response.status, body: (json ? JSON.parse(bytes.toString()) : undefined) as T, bytes };
  }

  it('a call taken by one instance is on record, with its recording, on the other', async () => {
    const env = { DATABASE_URL: schema.url, RECORDINGS_DIR: recordings, RECORD_CALLS: 'true', AGENT_GREETING: '' };
    const reply = () => ({ text: 'We are open from nine to five.', toneHz: 500, durationMs: 800 });
    const first = await TestAgent.start(env, { reply, callerTranscript: () => 'When are you open?' });
    agents.push(first);
    const second = await TestAgent.start(env);
    agents.push(second);

    const { call } = await first.dialReady({ from: '+15550003333', to: '+15550004444' });
    call.say(loadFixture('caller-hello.ulaw'));
    await call.waitForPlayedMs(700, 15_000);
    await call.waitFor(() => !call.isPlaying(), 3000, 'answer played');
    await call.hangUp();
    await call.waitFor(() => first.server.activeCalls.size === 0, 2000, 'call over');
    await first.recordingsSettled();

    const listed = await api<{ calls: CallSummary[] }>(second, '/api/calls?search=5550003333');
    expect(listed.body.calls.map((c) => c.callSid)).toEqual([call.callSid]);
    const record = await api<CallDetail>(second, `/api/calls/${call.callSid}`);
    expect(record.body).toMatchObject({ from: '+15550003333', endReason: 'caller-hung-up', recordingFile: `${call.callSid}.wav` });
    expect(record.body.transcript.map((t) => t.text)).toEqual(['When are you open?', 'We are open from nine to five.']);
    const wav = await api(second, `/api/calls/${call.callSid}/recording`);
    expect(wav.status).toBe(200);
    expect(wav.bytes.subarray(0, 4).toString()).toBe('RIFF');
    const page = await fetch(`${second.url}/calls/${call.callSid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await page.text()).toContain('When are you open?');
  });
});
