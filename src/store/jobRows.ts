import type { AnalysisBrief, CallAnalysis, ClaimedDelivery, DeliveryAttempt, JobLease, JobStatus, WebhookDelivery } from './jobs';

/** What the SQLite and PostgreSQL job tables share: their rows, and how rows become records. */

/** Added to a call's summary columns: its analysis's status and cost, if it has one. */
export const ANALYSIS_SUMMARY_COLUMNS = `
  (SELECT status FROM call_analyses a WHERE a.call_sid = calls.call_sid) AS analysis_status,
  (SELECT cost_usd FROM call_analyses a WHERE a.call_sid = calls.call_sid) AS analysis_cost_usd`;

export interface AnalysisSummaryRow {
  analysis_status?: string | null;
  analysis_cost_usd?: number | null;
}

export interface AnalysisRow {
  call_sid: string;
  status: string;
  attempts: number;
  requested_at: number;
  next_attempt_at: number;
  lease_id: string | null;
  lease_until: number | null;
  last_error: string | null;
  finished_at: number | null;
  model: string | null;
  summary: string | null;
  fields_json: string | null;
  tokens_in: number;
  tokens_in_cached: number;
  tokens_out: number;
  cost_usd: number;
}

export interface DeliveryRow {
  id: string;
  call_sid: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  lease_id: string | null;
  lease_until: number | null;
  last_error: string | null;
  finished_at: number | null;
}

export interface AttemptRow {
  delivery_id: string;
  at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
}

export function toAnalysisBrief(row: AnalysisSummaryRow): AnalysisBrief | undefined {
  if (row.analysis_status === null || row.analysis_status === undefined) return undefined;
  return { status: row.analysis_status as JobStatus, costUsd: row.analysis_cost_usd ?? 0 };
}

export function toAnalysis(row: AnalysisRow): CallAnalysis {
  const analysis: CallAnalysis = {
    callSid: row.call_sid,
    status: row.status as JobStatus,
    attempts: row.attempts,
    requestedAt: row.requested_at,
    nextAttemptAt: row.next_attempt_at,
  };
  if (row.last_error !== null) analysis.lastError = row.last_error;
  if (row.finished_at !== null) analysis.finishedAt = row.finished_at;
  if (row.model !== null && row.summary !== null && row.fields_json !== null) {
    analysis.result = {
      model: row.model,
      summary: row.summary,
      fields: JSON.parse(row.fields_json) as Record<string, unknown>,
      usage: { inputTokens: row.tokens_in, cachedInputTokens: row.tokens_in_cached, outputTokens: row.tokens_out },
      costUsd: row.cost_usd,
    };
  }
  return analysis;
}

export function toAttempt(row: AttemptRow): DeliveryAttempt {
  const attempt: DeliveryAttempt = { at: row.at, durationMs: row.duration_ms };
  if (row.http_status !== null) attempt.httpStatus = row.http_status;
  if (row.error !== null) attempt.error = row.error;
  return attempt;
}

export function toDelivery(row: DeliveryRow, attempts: AttemptRow[]): WebhookDelivery {
  const delivery: WebhookDelivery = {
    id: row.id,
    callSid: row.call_sid,
    eventType: row.event_type,
    status: row.status as JobStatus,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    attemptLog: attempts.filter((a) => a.delivery_id === row.id).map(toAttempt),
  };
  if (row.last_error !== null) delivery.lastError = row.last_error;
  if (row.finished_at !== null) delivery.finishedAt = row.finished_at;
  return delivery;
}

/** Field names a filter may name: they go into a JSON path. */
export const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The JSON texts (lower case) a field's value may be stored as for a filter `value`: "yes" is `"yes"`; "true" is
 * `true` or the string `"true"`; "3" is `3` or `"3"`. Both engines render a field as minified JSON text.
 */
export function fieldValueCandidates(value: string): string[] {
  const text = value.trim().toLowerCase();
  const candidates = [JSON.stringify(text)];
  if (text === 'true' || text === 'false' || text === 'null') candidates.push(text);
  else if (text !== '' && Number.isFinite(Number(text))) candidates.push(JSON.stringify(Number(text)));
  return candidates;
}

/** A claimed delivery row as its holder works on it. */
export function claimedDelivery(row: DeliveryRow, lease: JobLease): ClaimedDelivery {
  return {
    id: row.id,
    callSid: row.call_sid,
    eventType: row.event_type,
    payload: row.payload,
    createdAt: row.created_at,
    attempt: row.attempts,
    lease,
  };
}
