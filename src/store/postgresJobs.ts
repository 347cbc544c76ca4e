import type pg from 'pg';
import type {
  AnalysisFilter,
  AnalysisSettlement,
  CallAnalysis,
  ClaimedAnalysis,
  ClaimedDelivery,
  DeliveryAttempt,
  DeliverySettlement,
  JobLease,
  JobStore,
  NewDelivery,
  WebhookDelivery,
} from './jobs';
import { claimedDelivery, fieldValueCandidates, toAnalysis, toDelivery, type AnalysisRow, type AttemptRow, type DeliveryRow } from './jobRows';

type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * The job tables in PostgreSQL, shared by every instance. A claim picks the job due first with `FOR UPDATE SKIP
 * LOCKED`, so instances claiming at the same moment each get a different one, and sets its lease in the same
 * statement; settling checks the lease, so a holder whose lease ran out (and whose job another took) writes nothing.
 */
export class PostgresJobs implements JobStore {
  constructor(
    private readonly query: Query,
    /** Runs `work` in one transaction. */
    private readonly transaction: <T>(work: (query: Query) => Promise<T>) => Promise<T>,
  ) {}

  async requestAnalysis(callSid: string, now: number, lease?: JobLease): Promise<ClaimedAnalysis | undefined> {
    const { rows } = await refersToCall(callSid, () => this.query<AnalysisRow>(
      `INSERT INTO call_analyses (call_sid, status, attempts, requested_at, next_attempt_at, lease_id, lease_until)
       VALUES ($1, 'pending', $2, $3, $3, $4, $5)
       ON CONFLICT (call_sid) DO UPDATE SET status = 'pending', attempts = excluded.attempts,
         requested_at = excluded.requested_at, next_attempt_at = excluded.next_attempt_at, lease_id = excluded.lease_id,
         lease_until = excluded.lease_until, last_error = NULL, finished_at = NULL
       RETURNING *`,
      [callSid, lease ? 1 : 0, now, lease?.leaseId ?? null, lease?.until ?? null],
    ));
    return lease && rows[0] ? { callSid, attempt: 1, requestedAt: rows[0].requested_at, lease } : undefined;
  }

  async claimAnalysis(now: number, lease: JobLease): Promise<ClaimedAnalysis | undefined> {
    const { rows } = await this.query<AnalysisRow>(
      `UPDATE call_analyses SET lease_id = $1, lease_until = $2, attempts = attempts + 1
       WHERE call_sid = (SELECT call_sid FROM call_analyses
                         WHERE status = 'pending' AND next_attempt_at <= $3 AND coalesce(lease_until, 0) <= $3
                         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND status = 'pending' AND coalesce(lease_until, 0) <= $3
       RETURNING *`,
      [lease.leaseId, lease.until, now],
    );
    const row = rows[0];
    return row && { callSid: row.call_sid, attempt: row.attempts, requestedAt: row.requested_at, lease };
  }

  async settleAnalysis(claim: ClaimedAnalysis, settlement: AnalysisSettlement, now: number): Promise<boolean> {
    return this.transaction(async (query) => {
      const result = settlement.status === 'done' ? settlement.result : undefined;
      const changed = await query(
        `UPDATE call_analyses SET status = $3, next_attempt_at = $4, last_error = $5, finished_at = $6,
           lease_id = NULL, lease_until = NULL,
           model = coalesce($7, model), summary = coalesce($8, summary), fields_json = coalesce($9, fields_json),
           tokens_in = tokens_in + $10, tokens_in_cached = tokens_in_cached + $11, tokens_out = tokens_out + $12,
           cost_usd = cost_usd + $13
         WHERE call_sid = $1 AND lease_id = $2`,
        [
          claim.callSid,
          claim.lease.leaseId,
          settlement.status,
          settlement.status === 'pending' ? settlement.nextAttemptAt : now,
          settlement.status === 'done' ? null : settlement.error,
          settlement.status === 'pending' ? null : now,
          result?.model ?? null,
          result?.summary ?? null,
          result ? JSON.stringify(result.fields) : null,
          result?.usage.inputTokens ?? 0,
          result?.usage.cachedInputTokens ?? 0,
          result?.usage.outputTokens ?? 0,
          result?.costUsd ?? 0,
        ],
      );
      if (changed.rowCount === 0) return false;
      if (settlement.status === 'done') for (const delivery of settlement.deliveries) await insertDelivery(query, delivery);
      return true;
    });
  }

  async analysisOf(callSid: string): Promise<CallAnalysis | undefined> {
    const { rows } = await this.query<AnalysisRow>('SELECT * FROM call_analyses WHERE call_sid = $1', [callSid]);
    return rows[0] && toAnalysis(rows[0]);
  }

  async enqueueDelivery(delivery: NewDelivery): Promise<void> {
    await refersToCall(delivery.callSid, () => insertDelivery(this.query, delivery));
  }

  async claimDelivery(now: number, lease: JobLease): Promise<ClaimedDelivery | undefined> {
    const { rows } = await this.query<DeliveryRow>(
      `UPDATE webhook_deliveries SET lease_id = $1, lease_until = $2, attempts = attempts + 1
       WHERE id = (SELECT id FROM webhook_deliveries
                   WHERE status = 'pending' AND next_attempt_at <= $3 AND coalesce(lease_until, 0) <= $3
                   ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND status = 'pending' AND coalesce(lease_until, 0) <= $3
       RETURNING *`,
      [lease.leaseId, lease.until, now],
    );
    return rows[0] && claimedDelivery(rows[0], lease);
  }

  async settleDelivery(claim: ClaimedDelivery, attempt: DeliveryAttempt, settlement: DeliverySettlement): Promise<boolean> {
    return this.transaction(async (query) => {
      const changed = await query(
        `UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, last_error = $5, finished_at = $6,
           lease_id = NULL, lease_until = NULL
         WHERE id = $1 AND lease_id = $2`,
        [
          claim.id,
          claim.lease.leaseId,
          settlement.status,
          settlement.status === 'pending' ? settlement.nextAttemptAt : attempt.at,
          settlement.status === 'done' ? null : settlement.error,
          settlement.status === 'pending' ? null : attempt.at + Math.round(attempt.durationMs),
        ],
      );
      if (changed.rowCount === 0) return false;
      await query('INSERT INTO webhook_attempts (delivery_id, at, duration_ms, http_status, error) VALUES ($1, $2, $3, $4, $5)', [
        claim.id,
        attempt.at,
        Math.round(attempt.durationMs),
        attempt.httpStatus ?? null,
        attempt.error ?? null,
      ]);
      return true;
    });
  }

  async deliveriesOf(callSid: string): Promise<WebhookDelivery[]> {
    const [deliveries, attempts] = await Promise.all([
      this.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE call_sid = $1 ORDER BY created_at, id', [callSid]),
      this.query<AttemptRow>(
        `SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.call_sid = $1 ORDER BY a.at, a.id`,
        [callSid],
      ),
    ]);
    return deliveries.rows.map((row) => toDelivery(row, attempts.rows));
  }
}

function insertDelivery(query: Query, delivery: NewDelivery): Promise<unknown> {
  return query(
    `INSERT INTO webhook_deliveries (id, call_sid, event_type, payload, status, created_at, next_attempt_at)
     VALUES ($1, $2, $3, $4, 'pending', $5, $5)`,
    [delivery.id, delivery.callSid, delivery.eventType, delivery.payload, delivery.createdAt],
  );
}

/** Conditions on `calls` for an analysis filter, their values added through `param` ($n placeholders). */
export function postgresAnalysisConditions(filter: AnalysisFilter | undefined, param: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filter?.status === 'none') where.push('NOT EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid)');
  else if (filter?.status) {
    where.push(`EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid AND a.status = ${param(filter.status)})`);
  }
  if (filter?.field) {
    // jsonb's text of a field is minified JSON, as SQLite's `->` gives it: "yes" with its quotes, true, 3.
    where.push(`EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid AND a.status = 'done'
      AND lower((a.fields_json::jsonb -> ${param(filter.field.name)})::text) = ANY(${param(fieldValueCandidates(filter.field.value))}::text[]))`);
  }
  return where;
}

/** Runs a write that refers to the call; a call not on record (the foreign key it breaks) is said as such. */
async function refersToCall<T>(callSid: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw new Error(`no call record ${callSid}`);
    throw err;
  }
}
