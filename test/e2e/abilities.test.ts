import path from 'node:path';
import type { CallDetail } from '../../src/store';
import { ADMIN_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import type { ReplySpec } from '../support/fakeRealtime';
import { loadFixture } from '../support/fixtures';

/**
 * The agent acts, end to end: the fake model calls tools, the Twilio simulator hears the result, and the
 * `<Connect action>` webhook says what Twilio does after the stream.
 */

const GOODBYE: ReplySpec = { text: 'Thanks for calling, goodbye!', toneHz: 500, durationMs: 1500, functionCall: { name: 'end_call', arguments: '{"reason":"done"}' } };
const SHORT: ReplySpec = { text: 'Sure.', toneHz: 700, durationMs: 600 };

async function record(agent: TestAgent, callSid: string): Promise<CallDetail> {
  const response = await fetch(`${agent.url}/api/calls/${callSid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await response.json()) as CallDetail;
}

describe('the agent acts (real server, simulated Twilio, fake model)', () => {
  let agent: TestAgent;
  afterEach(async () => agent?.stop());

  it('hangs up with end_call only after the caller heard the whole goodbye; Twilio is then told to hang up', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: 'Hi!' }, { reply: () => GOODBYE });
    const call = await agent.dial();
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1000);
    expect(call.playedMs()).toBeGreaterThan(GOODBYE.durationMs - 60);
    expect(call.twiml).toContain(`<Connect action="${PUBLIC_URL}/call-ended">`);

    const after = await agent.postAsTwilio('/call-ended', { CallSid: call.callSid, From: call.from, To: call.to, CallStatus: 'in-progress' });
    expect(after.body).toContain('<Hangup/>');
    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    const detail = await record(agent, call.callSid);
    expect(detail.endReason).toBe('agent-ended');
    expect(detail.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'tool-call', summary: 'the agent hung up: done' })]));
  });

  it('does not hang up when the caller talks over the goodbye', async () => {
    let n = 0;
    agent = await TestAgent.start({ AGENT_GREETING: 'Hi!' }, { reply: () => (n++ === 0 ? { ...GOODBYE, durationMs: 5000 } : SHORT) });
    const call = await agent.dial();
    await call.waitForPlayedMs(1000, 10_000);
    call.say(loadFixture('caller-interrupt.ulaw'));
    await call.waitFor(() => call.clears.length > 0, 5000, 'barge-in');
    const heardAtClear = call.playedMs();
    await call.waitForPlayedMs(heardAtClear + SHORT.durationMs - 60, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(agent.server.activeCalls.size).toBe(1);
    expect(call.violations).toEqual([]);
  });

  it('transfers to TRANSFER_NUMBER after the announcement, and offers to take a message when nobody answers', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hi!', TRANSFER_NUMBER: '+15557654321' },
      { reply: () => ({ text: 'Putting you through now.', toneHz: 600, durationMs: 1200, functionCall: { name: 'transfer_call', arguments: '{}' } }) },
    );
    const call = await agent.dial({ from: '+15550001111' });
    await call.closedByServer;
    expect(call.playedMs()).toBeGreaterThan(1140);

    expect((await agent.postAsTwilio('/call-ended', { CallSid: call.callSid, From: call.from, To: call.to }, false)).status).toBe(403);
    const dial = await agent.postAsTwilio('/call-ended', { CallSid: call.callSid, From: call.from, To: call.to });
    expect(dial.body).toContain(`<Dial callerId="+15550001111" timeout="20" action="${PUBLIC_URL}/transfer-ended">+15557654321</Dial>`);
    const unanswered = await agent.postAsTwilio('/transfer-ended', { CallSid: call.callSid, DialCallStatus: 'no-answer' });
    expect(unanswered.body).toContain('leave a message');
    expect(unanswered.body).toContain(`<Record maxLength="120" playBeep="true" action="${PUBLIC_URL}/message-recorded"/>`);
    const message = await agent.postAsTwilio('/message-recorded', { CallSid: call.callSid, RecordingUrl: 'https://api.twilio.com/rec/RE1', RecordingDuration: '12' });
    expect(message.body).toContain('<Hangup/>');
    // Asked again, the call is not transferred twice.
    expect((await agent.postAsTwilio('/call-ended', { CallSid: call.callSid })).body).toContain('<Hangup/>');

    await call.waitFor(() => agent.server.activeCalls.size === 0, 2000, 'call over');
    const detail = await record(agent, call.callSid);
    expect(detail.endReason).toBe('transferred');
    expect(detail.events.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        'the agent transferred the caller to default (+15557654321)',
        'nobody took the transfer (no-answer): the caller was asked to leave a message',
        'the caller left a 12 s message',
      ]),
    );
  });

  it('passes keypad entries to the model', async () => {
    agent = await TestAgent.start({ AGENT_GREETING: '' });
    const { call, session } = await agent.dialReady();
    call.pressDigit('4');
    call.pressDigit('2');
    call.pressDigit('#');
    const note = await session.waitFor((e) => e.type === 'conversation.item.create');
    expect(JSON.stringify(note)).toContain('The caller pressed 42# on the phone keypad.');
    await session.waitFor((e) => e.type === 'response.create');
  });

  it('stays healthy when an operator tool hangs or throws: the model hears it failed and the caller hears the answer', async () => {
    let n = 0;
    const replies: ReplySpec[] = [
      { text: 'Let me check.', toneHz: 500, durationMs: 400, functionCall: { name: 'check_stock', arguments: '{}' } },
      { text: 'Sorry, I could not check that.', toneHz: 600, durationMs: 500, functionCall: { name: 'book_table', arguments: '{"people":2}' } },
      { text: 'Sorry, that failed too.', toneHz: 700, durationMs: 500 },
    ];
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hi!', TOOLS_DIR: path.join(__dirname, 'tools'), TOOL_TIMEOUT_MS: '300' },
      { reply: () => replies[Math.min(n++, replies.length - 1)] },
    );
    const call = await agent.dial();
    const session = await agent.fake.nextSession();
    await call.waitForPlayedMs(1350, 10_000);
    const outputs = session.clientEvents.flatMap((e) => (e.type === 'conversation.item.create' && e.item.type === 'function_call_output' ? [e.item.output] : []));
    expect(outputs).toEqual([expect.stringContaining('too long'), expect.stringContaining('went wrong')]);
    const update = await session.waitFor((e) => e.type === 'session.update');
    expect(JSON.stringify(update)).toContain('"name":"check_stock"');
    expect(agent.server.activeCalls.size).toBe(1);
    expect(call.violations).toEqual([]);
  });
});
