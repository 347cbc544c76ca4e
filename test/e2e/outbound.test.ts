import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CallDetail, CallSummary } from '../../src/store';
import { ACCOUNT_SID, ADMIN_TOKEN, AGENT_NUMBER, AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import type { ReplySpec } from '../support/fakeRealtime';
import { DialError, SimulatedCall, signTwilioRequest } from '../support/twilioSimulator';

/**
 * Calls the agent places, end to end: the API places them through the real twilio SDK (its REST requests answered
 * by the in-process stand-in), the Twilio simulator answers them, and the status and answering machine callbacks
 * come as Twilio sends them, signed, to the URLs the call was placed with.
 */

const CALLEE = '+15557770123';
const GREETING = 'Hi, this is Sam from Linden Physiotherapy.';
const CONTEXT = 'Remind Maria Lopez of her appointment on Tuesday at 3 pm, and ask whether she can still make it.';
const MESSAGE = 'Hi Maria, this is Sam from Linden Physiotherapy. Please call us back about Tuesday. Goodbye.';
const SPOKEN: ReplySpec = { text: GREETING, toneHz: 500, durationMs: 800 };

async function placeCall(agent: TestAgent, body: Record<string, unknown>, token = ADMIN_TOKEN) {
  const response = await fetch(`${agent.url}/api/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** The path and query Twilio was told to use for `field`, from the REST request that placed the call. */
function callbackPath(agent: TestAgent, field: 'Url' | 'StatusCallback' | 'AsyncAmdStatusCallback', callSid: string): string {
  const url = new URL(agent.rest.calls.find((call) => call.sid === callSid)!.form.get(field)!);
  return url.pathname + url.search;
}

/** A callback as Twilio sends it: form-encoded and signed over the full URL, query included. */
async function twilioCallback(agent: TestAgent, pathAndQuery: string, params: Record<string, string>) {
  const body = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', ...params };
  const response = await fetch(`${agent.url}${pathAndQuery}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}${pathAndQuery}`, body) },
    body: new URLSearchParams(body).toString(),
  });
  return { status: response.status, body: await response.text() };
}

function status(agent: TestAgent, callSid: string, callStatus: string, extra: Record<string, string> = {}) {
  return twilioCallback(agent, callbackPath(agent, 'StatusCallback', callSid), {
    CallSid: callSid,
    CallStatus: callStatus,
    Direction: 'outbound-api',
    From: AGENT_NUMBER,
    To: CALLEE,
    ...extra,
  });
}

/** Twilio answers the placed call: it asks the call's Url for TwiML and opens the stream. */
async function answer(agent: TestAgent, callSid: string): Promise<SimulatedCall> {
  return agent.dial({
    webhookPath: callbackPath(agent, 'Url', callSid),
    callSid,
    accountSid: ACCOUNT_SID,
    from: AGENT_NUMBER,
    to: CALLEE,
    extraParams: { Direction: 'outbound-api', CallStatus: 'in-progress' },
  });
}

async function record(agent: TestAgent, callSid: string): Promise<CallDetail> {
  const response = await fetch(`${agent.url}/api/calls/${callSid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await response.json()) as CallDetail;
}

async function list(agent: TestAgent, query: string): Promise<CallSummary[]> {
  const response = await fetch(`${agent.url}/api/calls?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await response.json()) as { calls: CallSummary[] }).calls;
}

describe('calls the agent places (real server and twilio SDK, Twilio REST stand-in, simulated Twilio, fake model)', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('places the call through Twilio, and speaks to whoever answers as the chosen persona, with the greeting and the context', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER, AGENT_NAME: 'Front desk' }, { reply: () => SPOKEN });
    const placed = await placeCall(agent, { to: CALLEE, persona: 'personas/appointment-booking.md', greeting: GREETING, context: CONTEXT });
    expect(placed.status).toBe(201);
    const callSid = agent.rest.calls[0].sid;
    expect(placed.body).toEqual({ callSid, status: 'queued', from: AGENT_NUMBER, to: CALLEE, persona: 'appointment-booking', machine: 'hangup' });

    // What Twilio was asked: every URL on PUBLIC_URL, answering machines detected after their greeting, asynchronously.
    const form = agent.rest.calls[0].form;
    expect(agent.rest.requestsTo('POST', `/Accounts/${ACCOUNT_SID}/Calls.json`)).toHaveLength(1);
    expect(form.get('To')).toBe(CALLEE);
    expect(form.get('From')).toBe(AGENT_NUMBER);
    expect(form.get('Url')).toMatch(new RegExp(`^${PUBLIC_URL}/outbound-answered\\?plan=[\\w-]+$`));
    expect(form.get('Method')).toBe('POST');
    expect(form.get('StatusCallback')).toMatch(new RegExp(`^${PUBLIC_URL}/call-status\\?plan=[\\w-]+$`));
    expect(form.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(form.get('MachineDetection')).toBe('DetectMessageEnd');
    expect(form.get('AsyncAmd')).toBe('true');
    expect(form.get('AsyncAmdStatusCallback')).toMatch(new RegExp(`^${PUBLIC_URL}/amd-status\\?plan=[\\w-]+$`));

    expect((await status(agent, callSid, 'initiated')).status).toBe(204);
    expect((await status(agent, callSid, 'ringing')).status).toBe(204);
    expect((await record(agent, callSid)).outcome).toBe('ringing');

    const call = await answer(agent, callSid);
    expect(call.twiml).toContain(`<Connect action="${PUBLIC_URL}/call-ended">`);
    expect(call.customParameters).toMatchObject({ from: AGENT_NUMBER, to: CALLEE, direction: 'outbound-api' });
    const session = await agent.fake.nextSession();
    const update = await session.waitFor((e) => e.type === 'session.update');
    const instructions = (update as { session: { instructions: string } }).session.instructions;
    expect(instructions).toContain(readFileSync(path.join('personas', 'appointment-booking.md'), 'utf8').trim());
    expect(instructions).toContain('You placed this phone call');
    expect(instructions).toContain(`About this call: ${CONTEXT}`);
    const greeting = await session.waitFor((e) => e.type === 'response.create');
    expect(JSON.stringify(greeting)).toContain(GREETING);
    await call.waitForPlayedMs(SPOKEN.durationMs - 60);
    expect((await status(agent, callSid, 'in-progress')).status).toBe(204);

    await call.hangUp();
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    await agent.recordingsSettled();
    expect((await status(agent, callSid, 'completed', { CallDuration: '4' })).status).toBe(204);

    // One record, the stream's, with what Twilio said before and after it.
    expect(await list(agent, `search=${callSid}`)).toHaveLength(1);
    const detail = await record(agent, callSid);
    expect(detail).toMatchObject({ direction: 'outbound', from: AGENT_NUMBER, to: CALLEE, outcome: 'completed', endReason: 'caller-hung-up', personaName: 'appointment-booking' });
    expect(detail.streamSid).toBe(call.streamSid);
    expect(detail.transcript.map((t) => t.role)).toContain('agent');
    expect(detail.events.map((e) => e.summary)).toEqual(
      expect.arrayContaining(['placed through the API, as appointment-booking', 'ringing', 'answered', 'the call completed after 4 s']),
    );
    expect(call.violations).toEqual([]);
  });

  it('leaves the message on an answering machine once its greeting has ended, then hangs up', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER }, { reply: () => ({ text: MESSAGE, toneHz: 600, durationMs: 1500 }) });
    const placed = await placeCall(agent, { to: CALLEE, machine: 'message', machineMessage: MESSAGE });
    expect(placed.body).toMatchObject({ machine: 'message' });
    const callSid = placed.body.callSid as string;
    const call = await answer(agent, callSid);
    const session = await agent.fake.nextSession();
    await session.waitFor((e) => e.type === 'session.update');

    const amd = await twilioCallback(agent, callbackPath(agent, 'AsyncAmdStatusCallback', callSid), { CallSid: callSid, AnsweredBy: 'machine_end_beep', MachineDetectionDuration: '4210' });
    expect(amd.status).toBe(204);
    const leave = await session.waitFor((e) => e.type === 'response.create');
    expect(JSON.stringify(leave)).toContain(MESSAGE);
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    expect(call.playedMs()).toBeGreaterThan(1500 - 60);

    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    await agent.recordingsSettled();
    const detail = await record(agent, callSid);
    expect(detail.endReason).toBe('answering-machine');
    expect(detail.events.map((e) => e.summary)).toEqual(
      expect.arrayContaining(['an answering machine answered; its greeting ended with a beep', 'an answering machine answered: leaving a message']),
    );
    expect(detail.events.find((e) => e.summary.startsWith('an answering machine answered;'))?.detail).toEqual({ AnsweredBy: 'machine_end_beep', MachineDetectionDuration: '4210' });
  });

  it('hangs up on an answering machine by default, and talks on with a person', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER, AGENT_GREETING: '' });
    const first = (await placeCall(agent, { to: CALLEE })).body.callSid as string;
    const call = await answer(agent, first);
    await (await agent.fake.nextSession()).waitFor((e) => e.type === 'session.update');
    await twilioCallback(agent, callbackPath(agent, 'AsyncAmdStatusCallback', first), { CallSid: first, AnsweredBy: 'machine_end_silence' });
    expect((await call.closedByServer).code).toBe(1000);
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    await agent.recordingsSettled();
    expect((await record(agent, first)).events.map((e) => e.summary)).toContain('an answering machine answered: hanging up');

    const second = (await placeCall(agent, { to: CALLEE })).body.callSid as string;
    const person = await answer(agent, second);
    await (await agent.fake.nextSession()).waitFor((e) => e.type === 'session.update');
    await twilioCallback(agent, callbackPath(agent, 'AsyncAmdStatusCallback', second), { CallSid: second, AnsweredBy: 'human' });
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.server.activeCalls.size).toBe(1);
    await person.hangUp();
    expect((await record(agent, second)).events.map((e) => e.summary)).toContain('a person answered');
  });

  it('keeps a call nobody answered: a record with its outcome and no transcript, found by the filters', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER });
    const callSid = (await placeCall(agent, { to: CALLEE })).body.callSid as string;
    await status(agent, callSid, 'initiated');
    await status(agent, callSid, 'ringing');
    await status(agent, callSid, 'no-answer', { CallDuration: '0' });
    // A late ringing changes nothing.
    await status(agent, callSid, 'ringing');

    const detail = await record(agent, callSid);
    expect(detail).toMatchObject({ direction: 'outbound', outcome: 'no-answer', streamSid: '', transcript: [], turnCount: 0 });
    expect(detail.endedAt).toBeGreaterThanOrEqual(detail.startedAt);
    expect(detail.endReason).toBeUndefined();
    expect(detail.events.map((e) => e.summary)).toEqual(['placed through the API, as Receptionist', 'ringing', 'nobody answered']);
    expect((await list(agent, 'direction=outbound&outcome=no-answer')).map((c) => c.callSid)).toEqual([callSid]);
    expect(await list(agent, 'direction=inbound')).toEqual([]);
    const bad = await fetch(`${agent.url}/api/calls?outcome=maybe`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(bad.status).toBe(400);

    // The answer to a call Twilio gave up on is a hang-up: its plan is gone.
    const late = await twilioCallback(agent, callbackPath(agent, 'Url', callSid), { CallSid: callSid, From: AGENT_NUMBER, To: CALLEE, Direction: 'outbound-api' });
    expect(late.body).toContain('<Hangup/>');
  });

  it('counts a placed call against MAX_CONCURRENT_CALLS until it connects or fails', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER, MAX_CONCURRENT_CALLS: '1' });
    const first = (await placeCall(agent, { to: CALLEE })).body.callSid as string;

    const second = await placeCall(agent, { to: CALLEE });
    expect(second).toEqual({ status: 503, body: { error: expect.stringMatching(/^all 1 call slots are in use \(MAX_CONCURRENT_CALLS\)/) } });
    await expect(agent.dial()).rejects.toMatchObject({ stage: 'twiml', body: expect.stringContaining('all of our lines are busy') } satisfies Partial<DialError>);

    // Answered: the slot passes to the call itself.
    const call = await answer(agent, first);
    await call.waitFor(() => agent.server.activeCalls.size === 1, 2000, 'call started');
    expect((await placeCall(agent, { to: CALLEE })).status).toBe(503);
    await call.hangUp();
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');

    // A plan answers only its own call.
    const stolen = await twilioCallback(agent, callbackPath(agent, 'Url', first), { CallSid: 'CA' + 'f'.repeat(32), From: AGENT_NUMBER, To: CALLEE });
    expect(stolen.body).toContain('<Hangup/>');

    // Busy: the slot is free again as soon as Twilio says so.
    const third = (await placeCall(agent, { to: CALLEE })).body.callSid as string;
    expect((await placeCall(agent, { to: CALLEE })).status).toBe(503);
    await twilioCallback(agent, callbackPath(agent, 'StatusCallback', third), { CallSid: third, CallStatus: 'busy', Direction: 'outbound-api' });
    expect((await record(agent, third)).outcome).toBe('busy');
    expect((await placeCall(agent, { to: CALLEE })).status).toBe(201);
  });

  it('refuses what it must not place with a 400 that says why, and passes on what Twilio refuses with its code', async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER });
    const refused = async (body: Record<string, unknown>) => {
      const answer = await placeCall(agent, body);
      expect(answer.status).toBe(400);
      return answer.body.error as string;
    };
    expect(await refused({ to: '555 777 0123' })).toMatch(/E\.164/);
    expect(await refused({ to: '+442079460000' })).toMatch(/not an allowed destination: calls may go to numbers starting with \+1/);
    expect(await refused({ to: '+19005550123' })).toMatch(/premium-rate number/);
    expect(await refused({ to: CALLEE, persona: '../package.json' })).toMatch(/must be a file in personas\//);
    expect(await refused({ to: CALLEE, persona: 'personas/../README.md' })).toMatch(/must be a file in personas\//);
    expect(await refused({ to: CALLEE, persona: '/etc/passwd' })).toMatch(/must be a file in personas\//);
    expect(await refused({ to: CALLEE, persona: 'personas/nobody.md' })).toMatch(/no file personas\/nobody\.md/);
    expect(await refused({ to: CALLEE, machine: 'hangup', machineMessage: 'Hi' })).toMatch(/machineMessage/);
    expect(await refused({ to: CALLEE, dial: 'now' })).toBe('unknown field: dial');
    expect(agent.rest.calls).toHaveLength(0);

    expect((await placeCall(agent, { to: CALLEE }, 'wrong-token-0123456789')).status).toBe(401);
    const notJson = await fetch(`${agent.url}/api/calls`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"to":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: expect.stringMatching(/JSON/) });

    // Twilio's own refusals: its code, message and documentation link.
    const invalid = await placeCall(agent, { to: '+1555777012' });
    expect(invalid).toEqual({
      status: 400,
      body: {
        error: "Twilio refused the call to +1555777012: The 'To' number +1555777012 is not a valid phone number.",
        twilio: { code: 21211, message: "The 'To' number +1555777012 is not a valid phone number.", moreInfo: 'https://www.twilio.com/docs/errors/21211', status: 400 },
      },
    });
    agent.rest.trial = true;
    expect((await placeCall(agent, { to: CALLEE })).body.twilio).toMatchObject({ code: 21219, status: 400 });
    agent.rest.trial = false;
    expect((await placeCall(agent, { to: CALLEE, from: '+15557770999' })).body.twilio).toMatchObject({ code: 21210 });
    agent.rest.rateLimitedCalls = 1;
    const limited = await placeCall(agent, { to: CALLEE });
    expect(limited.status).toBe(429);
    expect(limited.body.twilio).toMatchObject({ code: 20429, status: 429 });
    // None of them holds a slot.
    expect(agent.rest.calls).toHaveLength(0);
    expect((await placeCall(agent, { to: CALLEE })).status).toBe(201);
  });

  it('needs a number to call from', async () => {
    agent = await TestAgent.start();
    expect(await placeCall(agent, { to: CALLEE })).toEqual({ status: 400, body: { error: 'no number to call from: send "from", or set OUTBOUND_FROM' } });
    expect((await placeCall(agent, { to: CALLEE, from: AGENT_NUMBER })).status).toBe(201);
  });
});
