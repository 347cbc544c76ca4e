import { backoffDelay, describeWait, type Backoff } from '../jobs';
import type { DeliverySettlement } from '../store';

/** 30 s, 1, 2, 4 … min, at most 2 h between tries, ±20 %; about 19 tries in the day. */
export const WEBHOOK_BACKOFF: Backoff = { firstMs: 30_000, factor: 2, maxMs: 2 * 3_600_000, jitter: 0.2 };
/** A delivery is tried for this long after its event, then given up. */
export const WEBHOOK_GIVE_UP_AFTER_MS = 24 * 3_600_000;

export interface AttemptResult {
  /** A 2xx answer. */
  ok: boolean;
  /** The receiver's status, or why there was none. */
  error?: string;
}

/**
 * What an attempt leads to: done on a 2xx; otherwise another try after the backoff, unless it would come more than
 * a day after the event was queued, which gives the delivery up.
 */
export function afterDeliveryAttempt(
  result: AttemptResult,
  attempt: number,
  createdAt: number,
  now: number,
  policy: { backoff: Backoff; giveUpAfterMs: number } = { backoff: WEBHOOK_BACKOFF, giveUpAfterMs: WEBHOOK_GIVE_UP_AFTER_MS },
  random: () => number = Math.random,
): DeliverySettlement {
  if (result.ok) return { status: 'done' };
  const error = result.error ?? 'failed';
  const waitMs = backoffDelay(policy.backoff, attempt, random);
  if (now + waitMs > createdAt + policy.giveUpAfterMs) {
    return { status: 'failed', error: `${error} (attempt ${attempt}; given up ${describeWait(policy.giveUpAfterMs)} after the event)` };
  }
  return { status: 'pending', nextAttemptAt: now + waitMs, error: `${error} (attempt ${attempt}; next in ${describeWait(waitMs)})` };
}
