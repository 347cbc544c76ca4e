import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAfterCall } from '../../src/afterCall';
import { createLogger } from '../../src/log';
import { openSqliteStore, type CallStore } from '../../src/store';
import { runDelivery, sendWebhook } from '../../src/webhooks';
import { WebhookReceiver } from '../support/webhookReceiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);
const silent = createLogger({ level: 'silent', format: 'json' });
const FAST = { backoff: { firstMs: 10, factor: 2, maxMs: 50, jitter: 0 }, giveUpAfterMs: 60_000 };

describe('webhook deliveries to a receiver on this machine', () => {
  let dir: string;
  let store: CallStore;
  let receiver: WebhookReceiver | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'webhooks-'));
    store = openSqliteStore(path.join(dir, 'calls.db'));
    await store.open({ callSid: 'CA1', streamSid: 'MZ1', direction: 'inbound', from: '+15550001111', to: '+15559990000', startedAt: T0, answeredAt: T0 + 200, model: 'gpt-realtime', voice: 'marin', personaName: 'Ada', audioMode: 'pcm16' });
    await store.addTurn('CA1', { role: 'caller', text: 'My account number is 4471.', at: T0 + 3000, interrupted: false });
    await store.addEvent('CA1', { at: T0 + 4000, type: 'dtmf', summary: 'pressed 1' });
    await store.close('CA1', { endedAt: T0 + 60_000, endReason: 'caller-hung-up' });
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  function webhooks(url: string, includeTranscript = false) {
    return { analysis: undefined, webhooks: { url, secret: SECRET, includeTranscript, timeoutMs: 2000 }, openai: { apiKey: 'sk-unused', baseURL: undefined, model: 'gpt-realtime' } };
  }

  it('retries a failing receiver with the same webhook-id until it accepts, keeping every attempt', async () => {
    receiver = await WebhookReceiver.start(SECRET, (i) => (i < 2 ? 503 : 200));
    const afterCall = startAfterCall({ config: webhooks(receiver.url), store, log: silent, pollMs: 10, webhookPolicy: FAST });
    try {
      await afterCall.callEnded('CA1');
      await waitFor(async () => (await store.deliveriesOf('CA1'))[0]?.status === 'done');
    } finally {
      await afterCall.stop();
    }
    expect(receiver.received.map((r) => r.answered)).toEqual([503, 503, 200]);
    expect(receiver.received.every((r) => r.verified !== undefined)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.headers.id)).size).toBe(1);
    expect(receiver.received[0].headers.id).toMatch(/^msg_[\w-]{24}$/);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);

    const event = receiver.received[2].verified!;
    expect(event).toMatchObject({ type: 'call.ended', timestamp: new Date(T0 + 60_000).toISOString() });
    expect(event.data).toMatchObject({ callSid: 'CA1', from: '+15550001111', endReason: 'caller-hung-up', durationMs: 59_800, turnCount: 1 });
    // The transcript and events are left out unless asked for.
    expect(event.data).not.toHaveProperty('transcript');
    expect(event.data).not.toHaveProperty('events');
    expect(receiver.received[2].body).not.toContain('4471');

    const [delivery] = await store.deliveriesOf('CA1');
    expect(delivery).toMatchObject({ id: receiver.received[0].headers.id, eventType: 'call.ended', status: 'done', attempts: 3 });
    expect(delivery.attemptLog.map((a) => [a.httpStatus, a.error])).toEqual([
      [503, 'HTTP 503'],
      [503, 'HTTP 503'],
      [200, undefined],
    ]);
    expect(delivery.attemptLog.every((a) => a.durationMs >= 0)).toBe(true);
  });

  it('sends the transcript when the operator asks for it', async () => {
    receiver = await WebhookReceiver.start(SECRET);
    const afterCall = startAfterCall({ config: webhooks(receiver.url, true), store, log: silent, pollMs: 10, webhookPolicy: FAST });
    try {
      await afterCall.callEnded('CA1');
      await waitFor(async () => receiver!.received.length === 1);
    } finally {
      await afterCall.stop();
    }
    expect(receiver.received[0].verified?.data.transcript).toEqual([{ role: 'caller', text: 'My account number is 4471.', at: T0 + 3000, interrupted: false }]);
  });

  it('counts a receiver that does not answer in time as a failed attempt, to be tried again', async () => {
    receiver = await WebhookReceiver.start(SECRET, () => 'hang');
    const target = { url: receiver.url, secret: SECRET, timeoutMs: 300 };
    const sent = await sendWebhook(target, { id: 'msg_hang', payload: '{"type":"call.ended"}' });
    expect(sent).toEqual({ ok: false, attempt: { at: expect.any(Number), durationMs: expect.any(Number), error: 'no answer within 0.3 s' } });

    await store.enqueueDelivery({ id: 'msg_1', callSid: 'CA1', eventType: 'call.ended', payload: '{"type":"call.ended"}', createdAt: Date.now() });
    const claim = (await store.claimDelivery(Date.now(), { leaseId: 'l1', until: Date.now() + 60_000 }))!;
    const outcome = await runDelivery(claim, { store, target, policy: FAST, random: () => 0.5 });
    expect(outcome).toMatchObject({ status: 'pending', error: 'no answer within 0.3 s (attempt 1; next in 0 s)' });
    expect((await store.deliveriesOf('CA1'))[0].attemptLog).toEqual([{ at: expect.any(Number), durationMs: expect.any(Number), error: 'no answer within 0.3 s' }]);
  });

  it('says why a receiver could not be reached, and does not follow redirects', async () => {
    receiver = await WebhookReceiver.start(SECRET, () => 302);
    const redirected = await sendWebhook({ url: receiver.url, secret: SECRET, timeoutMs: 2000 }, { id: 'msg_r', payload: '{}' });
    expect(redirected).toMatchObject({ ok: false, attempt: { httpStatus: 302, error: 'HTTP 302' } });
    const closed = `http://127.0.0.1:${new URL(receiver.url).port}/`;
    await receiver.close();
    receiver = undefined;
    const refused = await sendWebhook({ url: closed, secret: SECRET, timeoutMs: 2000 }, { id: 'msg_x', payload: '{}' });
    expect(refused).toMatchObject({ ok: false, attempt: { error: 'could not deliver: ECONNREFUSED' } });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
