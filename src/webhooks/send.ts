import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import type { DeliveryAttempt } from '../store';

/** Where events go, and how they are signed. */
export interface WebhookTarget {
  url: string;
  /** `whsec_` and the base64 key. */
  secret: string;
  /** An attempt the receiver has not answered by then has failed. */
  timeoutMs: number;
}

/**
 * One attempt at delivering a body: POSTed with the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`
 * in seconds, `webhook-signature` over id, timestamp and body), redirects not followed, given up after the timeout.
 * Never rejects: the attempt says what happened.
 */
export async function sendWebhook(
  target: WebhookTarget,
  delivery: { id: string; payload: string },
  now: () => number = Date.now,
): Promise<{ ok: boolean; attempt: DeliveryAttempt }> {
  const at = now();
  const started = performance.now();
  const duration = () => Math.round(performance.now() - started);
  const timestamp = new Date(at);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'phone-agent-webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(at / 1000)),
        'webhook-signature': new Webhook(target.secret).sign(delivery.id, timestamp, delivery.payload),
      },
      body: delivery.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    // The body is not read: a receiver that answers and then dawdles must not hold the attempt.
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return { ok, attempt: { at, durationMs: duration(), httpStatus: response.status, ...(ok ? {} : { error: `HTTP ${response.status}` }) } };
  } catch (err) {
    return { ok: false, attempt: { at, durationMs: duration(), error: describeFailure(err, target.timeoutMs) } };
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = error.cause?.code ?? error.cause?.message;
  return cause ? `could not deliver: ${cause}` : `could not deliver: ${error.message}`;
}
