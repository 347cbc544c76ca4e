/** Webhooks: call.ended and call.analyzed, signed per Standard Webhooks, queued in the records and retried for a day. */
export { callAnalyzedEvent, callEndedEvent, deliveryOf, newWebhookId, type CallAnalyzedData, type CallEndedData, type WebhookEvent, type WebhookEventType } from './payload';
export { afterDeliveryAttempt, WEBHOOK_BACKOFF, WEBHOOK_GIVE_UP_AFTER_MS, type AttemptResult } from './schedule';
export { sendWebhook, type WebhookTarget } from './send';
export { runDelivery, type DeliveryDeps, type DeliveryOutcome } from './runner';
export { webhookSecretProblem } from './secret';
