import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analysisClient, startAfterCall } from '../../src/afterCall';
import { DEFAULT_FIELDS_SCHEMA, runAnalysis, type AnalysisSettings } from '../../src/analysis';
import { createLogger } from '../../src/log';
import { openSqliteStore, type CallStore, type ClaimedAnalysis } from '../../src/store';
import { FakeOpenAIHttp, type FakeReply } from '../support/fakeOpenAIHttp';

const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);
const GOOD = {
  summary: 'The caller booked a cleaning for Tuesday at 3 pm.',
  fields: { reason: 'book a cleaning', resolved: true, follow_up_needed: false, sentiment: 'positive' },
};
const SETTINGS: AnalysisSettings = {
  model: 'gpt-4.1-mini',
  fieldsSchema: DEFAULT_FIELDS_SCHEMA,
  timeoutMs: 5000,
  maxAttempts: 3,
  prices: { input: 0.4, cachedInput: 0.1, output: 1.6 },
};
const silent = createLogger({ level: 'silent', format: 'json' });

describe('post-call analysis against the OpenAI HTTP API (a local fake)', () => {
  let dir: string;
  let store: CallStore;
  let fake: FakeOpenAIHttp | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'analysis-'));
    store = openSqliteStore(path.join(dir, 'calls.db'));
    await store.open({ callSid: 'CA1', streamSid: 'MZ1', direction: 'inbound', from: '+15550001111', to: '+15559990000', startedAt: T0, answeredAt: T0 + 200, model: 'gpt-realtime', voice: 'marin', personaName: 'Ada', audioMode: 'pcm16' });
    await store.addTurn('CA1', { role: 'agent', text: 'Ada Dental, how can I help?', at: T0 + 1000, interrupted: false });
    await store.addTurn('CA1', { role: 'caller', text: 'I need a cleaning.', at: T0 + 3000, interrupted: false });
    await store.addTurn('CA1', { role: 'agent', text: 'We have Tuesday at', at: T0 + 5000, interrupted: true, heardMs: 1200, spokenMs: 4000 });
    await store.addTurn('CA1', { role: 'caller', text: 'Tuesday at three works.', at: T0 + 7000, interrupted: false });
    await store.close('CA1', { endedAt: T0 + 60_000, endReason: 'caller-hung-up' });
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(replies: FakeReply[], settings: Partial<AnalysisSettings> = {}): Promise<{ outcome: Awaited<ReturnType<typeof runAnalysis>>; claim: ClaimedAnalysis }> {
    fake ??= await FakeOpenAIHttp.start(replies);
    const claim = (await store.requestAnalysis('CA1', Date.now(), { leaseId: `lease-${Math.random()}`, until: Date.now() + 60_000 }))!;
    const client = analysisClient({ openai: { apiKey: 'sk-test-key-0123456789', baseURL: fake.baseURL, model: 'gpt-realtime' } });
    const outcome = await runAnalysis(claim, { store, client, settings: { ...SETTINGS, ...settings }, random: () => 0.5 });
    return { outcome, claim };
  }

  it('reads the transcript as heard and keeps the summary, the fields, the tokens and their cost', async () => {
    const { outcome } = await attempt([{ output: GOOD, usage: { input: 1000, cached: 200, output: 100 } }]);
    expect(outcome.status).toBe('done');
    const analysis = (await store.analysisOf('CA1'))!;
    expect(analysis).toMatchObject({ status: 'done', attempts: 1 });
    expect(analysis.result).toEqual({
      model: 'gpt-4.1-mini',
      summary: GOOD.summary,
      fields: GOOD.fields,
      usage: { inputTokens: 800, cachedInputTokens: 200, outputTokens: 100 },
      costUsd: (800 * 0.4 + 200 * 0.1 + 100 * 1.6) / 1_000_000,
    });
    expect((await store.get('CA1'))?.analysis).toEqual({ status: 'done', costUsd: analysis.result!.costUsd });

    const [request] = fake!.requests;
    expect(request.authorization).toBe('Bearer sk-test-key-0123456789');
    expect(request.body).toMatchObject({ model: 'gpt-4.1-mini', store: false, text: { format: { type: 'json_schema', name: 'call_analysis', strict: true } } });
    const format = request.body.text!.format as unknown as { schema: { properties: { fields: unknown } } };
    expect(format.schema.properties.fields).toEqual(DEFAULT_FIELDS_SCHEMA);
    expect(request.body.input).toContain('Caller: I need a cleaning.');
    expect(request.body.input).toContain('Agent: We have Tuesday at [cut off]');
  });

  it('tries again later when the output is not JSON, or does not follow the schema', async () => {
    const notJson = await attempt([{ output: 'Sure! Here is the analysis: …' }, { output: { ...GOOD, fields: { ...GOOD.fields, sentiment: 'furious' } } }]);
    expect(notJson.outcome).toMatchObject({ status: 'pending', error: expect.stringMatching(/^the output is not JSON: Sure!.*attempt 1 of 3; next in 30 s/) });
    const offSchema = await attempt([]);
    expect(offSchema.outcome).toMatchObject({ status: 'pending', error: expect.stringContaining('the output does not match the schema: $.fields.sentiment: must be one of "positive", "neutral", "negative"') });
    const pending = (await store.analysisOf('CA1'))!;
    expect(pending).toMatchObject({ status: 'pending', lastError: expect.stringContaining('does not match the schema') });
    expect(pending.result).toBeUndefined();
  });

  it('gives up after the last attempt, saying why', async () => {
    const { outcome } = await attempt([{ output: '{"summary": 1}' }], { maxAttempts: 1 });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/does not match the schema.*attempt 1 of 1: no more tries/) });
    expect(await store.analysisOf('CA1')).toMatchObject({ status: 'failed', lastError: expect.stringContaining('no more tries') });
  });

  it('waits out a rate limit as long as the API asks, and tries again', async () => {
    const { outcome } = await attempt([{ status: 429, message: 'Rate limit reached for requests', code: 'rate_limit_exceeded', headers: { 'retry-after-ms': '600000' } }]);
    expect(outcome).toMatchObject({ status: 'pending', error: expect.stringMatching(/^HTTP 429: .*Rate limit reached.*next in 10 min/) });
  });

  it('counts an API that does not answer in time as a failed attempt, tried again', async () => {
    const { outcome } = await attempt([{ hang: true }], { timeoutMs: 300 });
    expect(outcome).toMatchObject({ status: 'pending', error: 'the API did not answer within 0.3 s (attempt 1 of 3; next in 30 s)' });
  });

  it('does not try again what cannot succeed: a refused key', async () => {
    const { outcome } = await attempt([{ status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key' }]);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^HTTP 401: .*Incorrect API key.*not retried/) });
  });

  it('rate limited, then answered: the worker tries again and the analysis is done on the second attempt', async () => {
    fake = await FakeOpenAIHttp.start([{ status: 429, message: 'Rate limit reached', headers: { 'retry-after-ms': '20' } }, { output: GOOD }]);
    const config = { analysis: SETTINGS, webhooks: undefined, openai: { apiKey: 'sk-test-key-0123456789', baseURL: fake.baseURL, model: 'gpt-realtime' } };
    const afterCall = startAfterCall({ config, store, log: silent, pollMs: 10, analysisBackoff: { firstMs: 10, factor: 2, maxMs: 100, jitter: 0 } });
    try {
      await afterCall.callEnded('CA1');
      await waitFor(async () => (await store.analysisOf('CA1'))?.status === 'done');
    } finally {
      await afterCall.stop();
    }
    expect(fake.requests).toHaveLength(2);
    expect(await store.analysisOf('CA1')).toMatchObject({ status: 'done', attempts: 2, result: { summary: GOOD.summary } });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
