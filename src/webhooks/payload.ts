import { randomBytes } from 'node:crypto';
import type { AnalysisResult, CallDetail, CallSummary, NewDelivery, Turn } from '../store';

/** The events the server sends. */
export type WebhookEventType = 'call.ended' | 'call.analyzed';

/** A Standard Webhooks payload: the event's type, when it happened (ISO 8601), and its data. */
export interface WebhookEvent<Data> {
  type: WebhookEventType;
  timestamp: string;
  data: Data;
}

/** `call.ended`: the record without its events, and its transcript only when the operator chose to send it. */
export type CallEndedData = CallSummary & { transcript?: Array<Pick<Turn, 'role' | 'text' | 'at' | 'interrupted'>> };

export interface CallAnalyzedData {
  callSid: string;
  model: string;
  summary: string;
  fields: Record<string, unknown>;
  usage: AnalysisResult['usage'];
  costUsd: number;
}

export function callEndedEvent(call: CallDetail, includeTranscript: boolean, now: number): WebhookEvent<CallEndedData> {
  const { transcript, events: _events, ...summary } = call;
  const data: CallEndedData = includeTranscript
    ? { ...summary, transcript: transcript.map(({ role, text, at, interrupted }) => ({ role, text, at, interrupted })) }
    : summary;
  return { type: 'call.ended', timestamp: new Date(call.endedAt ?? now).toISOString(), data };
}

export function callAnalyzedEvent(callSid: string, result: AnalysisResult, now: number): WebhookEvent<CallAnalyzedData> {
  const { model, summary, fields, usage, costUsd } = result;
  return { type: 'call.analyzed', timestamp: new Date(now).toISOString(), data: { callSid, model, summary, fields, usage, costUsd } };
}

/** The event as a queued delivery, with a new `webhook-id` (kept for every retry) and its body fixed now. */
export function deliveryOf(event: WebhookEvent<{ callSid: string }>, now: number): NewDelivery {
  return { id: newWebhookId(), callSid: event.data.callSid, eventType: event.type, payload: JSON.stringify(event), createdAt: now };
}

/** `msg_` and 24 random characters: unique per event, as receivers deduplicate on it. */
export function newWebhookId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}
