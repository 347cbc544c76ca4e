import type { CallStore, ClaimedDelivery, DeliverySettlement } from '../store';
import { afterDeliveryAttempt, WEBHOOK_BACKOFF, WEBHOOK_GIVE_UP_AFTER_MS } from './schedule';
import { sendWebhook, type WebhookTarget } from './send';
import type { Backoff } from '../jobs';

export interface DeliveryDeps {
  store: CallStore;
  target: WebhookTarget;
  policy?: { backoff: Backoff; giveUpAfterMs: number };
  now?: () => number;
  random?: () => number;
}

/** How an attempt ended; `lost` when another holder took the delivery meanwhile, so nothing was written. */
export type DeliveryOutcome = DeliverySettlement | { status: 'lost' };

/** One attempt at a claimed delivery: sends it, then records the attempt and what it leads to. */
export async function runDelivery(claim: ClaimedDelivery, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const now = deps.now ?? Date.now;
  const { ok, attempt } = await sendWebhook(deps.target, claim, now);
  const policy = deps.policy ?? { backoff: WEBHOOK_BACKOFF, giveUpAfterMs: WEBHOOK_GIVE_UP_AFTER_MS };
  const settlement = afterDeliveryAttempt({ ok, error: attempt.error }, claim.attempt, claim.createdAt, now(), policy, deps.random);
  return (await deps.store.settleDelivery(claim, attempt, settlement)) ? settlement : { status: 'lost' };
}
