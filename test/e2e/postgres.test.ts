import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallDetail, CallSummary } from '../../src/store';
import { ACCOUNT_SID, ADMIN_TOKEN, AGENT_NUMBER, AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import { loadFixture } from '../support/fixtures';
import { createTestSchema, type TestSchema } from '../support/postgres';
import { SimulatedCall } from '../support/twilioSimulator';

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

  it('takes a call whose webhook reached one instance and whose stream reached the other; its token works once, anywhere', async () => {
    const env = { DATABASE_URL: schema.url, STREAM_TOKEN_SECRET: 'a-secret-both-instances-share-0123456789', TRANSFER_NUMBER: '+15557654321' };
    const reply = () => ({ text: 'Putting you through.', toneHz: 600, durationMs: 600, functionCall: { name: 'transfer_call', arguments: '{}' } });
    const first = await TestAgent.start(env, { reply });
    agents.push(first);
    const second = await TestAgent.start(env, { reply });
    agents.push(second);

    const call = await first.dial({ streamServerUrl: second.url });
    await call.closedByServer; // the announcement heard, the caller handed over
    expect(first.fake.sessions.filter((s) => s.clientEvents.some((e) => e.type === 'response.create'))).toHaveLength(0);
    expect(second.fake.sessions.length).toBeGreaterThan(0);
    expect(call.playedMs()).toBeGreaterThan(540);

    // Twilio asks the first instance what follows the stream the second one had.
    const afterStream = (await first.postAsTwilio('/call-ended', { CallSid: call.callSid, From: call.from, To: call.to })).body;
    expect(afterStream).toContain('+15557654321</Dial>');

    // The token is spent on both.
    // The call's stream again, with its own token and a valid signature, as a replay would.
    for (const agent of [first, second]) expect(await agent.rawStream(call.callSid, call.customParameters)).toBe(1008);
    const record = await api<CallDetail>(first, `/api/calls/${call.callSid}`);
    expect(record.body).toMatchObject({ endReason: 'transferred' });
  });

  it('a call placed by one instance, answered through the other, speaks as its persona and hears who answered', async () => {
    const env = { DATABASE_URL: schema.url, STREAM_TOKEN_SECRET: 'a-secret-both-instances-share-0123456789', OUTBOUND_FROM: AGENT_NUMBER, MAX_CONCURRENT_CALLS: '1' };
    const message = 'Hi Maria, this is Sam. Please call us back about Tuesday. Goodbye.';
    const reply = () => ({ text: message, toneHz: 600, durationMs: 800 });
    const placing = await TestAgent.start(env, { reply });
    agents.push(placing);
    const answering = await TestAgent.start(env, { reply });
    agents.push(answering);
    const place = () =>
      fetch(`${placing.url}/api/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+15557770123', persona: 'personas/appointment-booking.md', machine: 'message', machineMessage: message }),
      });
    expect((await place()).status).toBe(201);
    const placed = placing.rest.calls[0];
    const callbackPath = (field: string) => {
      const url = new URL(placed.form.get(field)!);
      return url.pathname + url.search;
    };

    // Twilio asks the other instance for TwiML; the stream lands back on the placing one.
    const call = await answering.dial({
      webhookPath: callbackPath('Url'),
      callSid: placed.sid,
      accountSid: ACCOUNT_SID,
      from: AGENT_NUMBER,
      to: '+15557770123',
      extraParams: { Direction: 'outbound-api', CallStatus: 'in-progress' },
      streamServerUrl: placing.url,
    });
    const session = await placing.fake.nextSession();
    const update = (await session.waitFor((e) => e.type === 'session.update')) as { session: { instructions: string } };
    expect(update.session.instructions).toContain('You placed this phone call');
    expect(update.session.instructions).toContain(readFileSync(path.join('personas', 'appointment-booking.md'), 'utf8').trim());

    // The machine's end reaches the other instance; the placing one leaves the message, then hangs up.
    const amd = await answering.postAsTwilio(callbackPath('AsyncAmdStatusCallback'), { CallSid: placed.sid, AnsweredBy: 'machine_end_beep' });
    expect(amd.status).toBe(204);
    const leave = await session.waitFor((e) => e.type === 'response.create' && JSON.stringify(e).includes(message));
    expect(leave).toBeDefined();
    expect((await call.closedByServer).code).toBe(1000);
    await call.waitFor(() => placing.server.activeCalls.size === 0, 2000, 'call over');
    await placing.recordingsSettled();
    expect((await answering.postAsTwilio(callbackPath('StatusCallback'), { CallSid: placed.sid, CallStatus: 'completed', Direction: 'outbound-api' })).status).toBe(204);

    const record = await api<CallDetail>(answering, `/api/calls/${placed.sid}`);
    expect(record.body).toMatchObject({ direction: 'outbound', endReason: 'answering-machine', outcome: 'completed', personaName: 'appointment-booking' });
    // The placing instance's only slot is free again, though it never heard the call connect or end.
    expect((await place()).status).toBe(201);
  });

  it('drains one instance without touching the other instance\'s calls', async () => {
    const env = { DATABASE_URL: schema.url, STREAM_TOKEN_SECRET: 'a-secret-both-instances-share-0123456789', AGENT_GREETING: 'Hi.' };
    const first = await TestAgent.start(env);
    agents.push(first);
    const second = await TestAgent.start(env);
    agents.push(second);
    const onFirst = await first.dial();
    const onSecond = await second.dial();
    await Promise.all([onFirst.waitForPlayedMs(300), onSecond.waitForPlayedMs(300)]);
    await first.server.drain(0);
    await onFirst.closedByServer;
    expect(second.server.activeCalls.size).toBe(1);
    await first.recordingsSettled();
    await first.store.flush();
    const record = await api<CallDetail>(second, `/api/calls/${onFirst.callSid}`);
    expect(record.body.endReason).toBe('server-shutdown');
    expect((await api<CallDetail>(second, `/api/calls/${onSecond.callSid}`)).body.endedAt).toBeUndefined();
  });

  it('after kill -9 and a restart, an instance closes only its own call as crashed', async () => {
    const secret = 'a-secret-both-instances-share-0123456789';
    const survivor = await TestAgent.start({ DATABASE_URL: schema.url, STREAM_TOKEN_SECRET: secret, INSTANCE_ID: 'survivor', AGENT_GREETING: 'Hi.' });
    agents.push(survivor);
    const caFile = path.join(recordings, 'fake-ca.pem');
    writeFileSync(caFile, survivor.fake.ca);
    const env = {
      DATABASE_URL: schema.url,
      STREAM_TOKEN_SECRET: secret,
      INSTANCE_ID: 'crasher',
      AGENT_GREETING: 'Hi.',
      OPENAI_BASE_URL: survivor.fake.baseURL,
      NODE_EXTRA_CA_CERTS: caFile,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    };
    const crasher = await startProcess(env);
    const onCrasher = await SimulatedCall.dial({ serverUrl: crasher.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN });
    const onSurvivor = await survivor.dial();
    await Promise.all([onCrasher.waitForPlayedMs(300), onSurvivor.waitForPlayedMs(300)]);
    crasher.kill('SIGKILL');
    await crasher.exited;
    onCrasher.close();

    const restarted = await startProcess(env);
    try {
      // It recovers before it listens: by now its earlier run's call is closed.
      const crashed = await api<CallDetail>(survivor, `/api/calls/${onCrasher.callSid}`);
      expect(crashed.body.endReason).toBe('crashed');
      const live = await api<CallDetail>(survivor, `/api/calls/${onSurvivor.callSid}`);
      expect(live.body.endedAt).toBeUndefined();
      expect(survivor.server.activeCalls.size).toBe(1);
    } finally {
      restarted.kill('SIGTERM');
      await restarted.exited;
    }
  }, 60_000);
});

/** The real entry point in a child process, in an empty folder; resolves once it listens, with its URL. */
async function startProcess(env: NodeJS.ProcessEnv) {
  const root = path.join(__dirname, '..', '..');
  const cwd = mkdtempSync(path.join(tmpdir(), 'agent-instance-'));
  const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', OPENAI_API_KEY: 'sk-test-key-0123456789', PORT: '0', ...env },
    // Its own process group: tsx runs node as a child, and kill -9 must reach the server itself.
    detached: true,
  });
  const kill = (signal: NodeJS.Signals) => process.kill(-child.pid!, signal);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => rmSync(cwd, { recursive: true, force: true }));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const port = /"message":"phone agent listening".*?"port":(\d+)/.exec(output)?.[1] ?? /"port":(\d+).*?"message":"phone agent listening"/.exec(output)?.[1];
    if (port) return { kill, exited, url: `http://127.0.0.1:${port}` };
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) kill('SIGKILL');
      throw new Error(`the instance did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
