import { randomBytes } from 'node:crypto';
import { main as callsCli } from '../../scripts/calls';
import { analysisClient } from '../../src/afterCall';
import type { CallAnalysis, CallSummary, WebhookDelivery } from '../../src/store';
import { ADMIN_TOKEN, TestAgent } from '../support/agent';
import { FakeOpenAIHttp } from '../support/fakeOpenAIHttp';
import { loadFixture } from '../support/fixtures';
import { WebhookReceiver } from '../support/webhookReceiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const FAST = { pollMs: 20, webhookPolicy: { backoff: { firstMs: 20, factor: 2, maxMs: 100, jitter: 0 }, giveUpAfterMs: 60_000 } };
const ANALYSIS = {
  summary: 'The caller asked for help and the agent offered it.',
  fields: { reason: 'asked for help', resolved: true, follow_up_needed: false, sentiment: 'neutral' },
};

describe('after a call: its webhooks and its analysis, end to end', () => {
  let agent: TestAgent | undefined;
  let receiver: WebhookReceiver | undefined;
  let model: FakeOpenAIHttp | undefined;
  afterEach(async () => {
    await agent?.stop();
    await receiver?.close();
    await model?.close();
    agent = receiver = model = undefined;
  });

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${agent!.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  }

  /** A caller who says hello, hears the answer and hangs up. */
  async function talkAndHangUp(): Promise<string> {
    const { call } = await agent!.dialReady();
    await call.waitForPlayedMs(1400, 10_000);
    call.say(loadFixture('caller-hello.ulaw'));
    // The greeting and the answer, 1.5 s each.
    await call.waitForPlayedMs(2900, 15_000);
    await call.waitFor(() => !call.isPlaying(), 5000, 'the answer played');
    await call.hangUp();
    await call.waitFor(() => agent!.server.activeCalls.size === 0, 5000, 'call over');
    return call.callSid;
  }

  it('a receiver gets a verified call.ended once the call is over, while the first attempt fails', async () => {
    receiver = await WebhookReceiver.start(SECRET, (i) => (i === 0 ? 500 : 204));
    agent = await TestAgent.start({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET }, {}, () => {}, FAST);
    const callSid = await talkAndHangUp();
    await receiver.waitFor((r) => r.answered === 204);

    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(first.headers.id).toBe(second.headers.id);
    expect(second.verified).toMatchObject({ type: 'call.ended', data: { callSid, endReason: 'caller-hung-up', direction: 'inbound' } });
    expect(second.verified!.data.turnCount).toBeGreaterThan(0);
    expect(second.verified!.data).not.toHaveProperty('transcript');

    const { webhooks } = await api<{ analysis: null; webhooks: WebhookDelivery[] }>(`/api/calls/${callSid}/analysis`);
    expect(webhooks).toEqual([expect.objectContaining({ id: first.headers.id, eventType: 'call.ended', status: 'done', attempts: 2 })]);
    const page = await fetch(`${agent.url}/calls/${callSid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(page).toContain('<h2>Webhooks</h2>');
    expect(page).toContain('HTTP 500');
  });

  it('with ANALYSIS_MODEL: the call is analysed, call.analyzed follows, and the records show and filter it', async () => {
    receiver = await WebhookReceiver.start(SECRET);
    model = await FakeOpenAIHttp.start([{ output: ANALYSIS, usage: { input: 1200, cached: 0, output: 90 } }]);
    const openai = analysisClient({ openai: { apiKey: 'sk-test-key-0123456789', baseURL: model.baseURL, model: 'unused' } });
    agent = await TestAgent.start({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, ANALYSIS_MODEL: 'gpt-4.1-mini' }, {}, () => {}, { ...FAST, openai });
    const callSid = await talkAndHangUp();
    await receiver.waitFor((r) => r.verified?.type === 'call.analyzed');

    const types = receiver.received.map((r) => r.verified?.type);
    expect(types).toEqual(['call.ended', 'call.analyzed']);
    const analyzed = receiver.received[1].verified!;
    expect(analyzed.data).toEqual({
      callSid,
      model: 'gpt-4.1-mini',
      summary: ANALYSIS.summary,
      fields: ANALYSIS.fields,
      usage: { inputTokens: 1200, cachedInputTokens: 0, outputTokens: 90 },
      costUsd: (1200 * 0.4 + 90 * 1.6) / 1_000_000,
    });
    expect(model.requests[0].body.input).toContain('Caller: ');

    const { analysis } = await api<{ analysis: CallAnalysis }>(`/api/calls/${callSid}/analysis`);
    expect(analysis).toMatchObject({ status: 'done', attempts: 1, result: { summary: ANALYSIS.summary } });
    const { calls } = await api<{ calls: CallSummary[] }>('/api/calls?analysis=done&field=sentiment=NEUTRAL');
    expect(calls.map((c) => c.callSid)).toEqual([callSid]);
    expect(calls[0].analysis).toEqual({ status: 'done', costUsd: analyzed.data.costUsd });
    expect((await api<{ calls: CallSummary[] }>('/api/calls?field=sentiment=negative')).calls).toEqual([]);
    const bad = await fetch(`${agent.url}/api/calls?analysis=maybe`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(bad.status).toBe(400);

    const page = await fetch(`${agent.url}/calls/${callSid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(page).toContain('<h2>Analysis</h2>');
    expect(page).toContain(ANALYSIS.summary);
    expect(page).toContain('follow up needed');
    const list = await fetch(`${agent.url}/calls?analysis=done`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(list).toContain(`/calls/${callSid}`);

    // The terminal: the analysis on show, the list filtered, and analysed again on request.
    let printed = '';
    const io = {
      out: (t: string) => (printed += t),
      err: (t: string) => (printed += t),
      env: { DATABASE_PATH: agent.config.store.databasePath, OPENAI_API_KEY: 'sk-test-key-0123456789', OPENAI_BASE_URL: model.baseURL, ANALYSIS_MODEL: 'gpt-4.1-mini', WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    };
    expect(await callsCli(['show', callSid], io)).toBe(0);
    expect(printed).toContain('Analysis  done');
    expect(printed).toContain(ANALYSIS.summary);
    printed = '';
    expect(await callsCli(['list', '--field', 'resolved=true', '--json'], io)).toBe(0);
    expect(JSON.parse(printed).calls.map((c: CallSummary) => c.callSid)).toEqual([callSid]);
    printed = '';
    expect(await callsCli(['analyze', callSid], io)).toBe(0);
    expect(printed).toContain('Analysis  done (1 attempt)');
    expect(model.requests).toHaveLength(2);
    // The re-run's call.analyzed is queued for the server to send.
    await receiver.waitFor(() => receiver!.received.filter((r) => r.verified?.type === 'call.analyzed').length === 2);
  });
});
