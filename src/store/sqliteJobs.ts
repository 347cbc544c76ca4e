import type Database from 'better-sqlite3';
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

/**
 * The job tables in SQLite. Statements with RETURNING are run to completion (`all`), so their end-of-statement checks
 * (foreign keys) always run. One statement claims a job (`UPDATE … WHERE key = (SELECT … LIMIT 1) RETURNING`), so
 * even two processes on one file (the server and `npm run calls -- analyze`) never claim the same one.
 */
export class SqliteJobs implements JobStore {
  constructor(private readonly db: Database.Database) {}

  async requestAnalysis(callSid: string, now: number, lease?: JobLease): Promise<ClaimedAnalysis | undefined> {
    const [row] = refersToCall(callSid, () => this.db
      .prepare<[Record<string, unknown>], AnalysisRow>(
        `INSERT INTO call_analyses (call_sid, status, attempts, requested_at, next_attempt_at, lease_id, lease_until)
         VALUES (@callSid, 'pending', @attempts, @now, @now, @leaseId, @leaseUntil)
         ON CONFLICT (call_sid) DO UPDATE SET status = 'pending', attempts = excluded.attempts,
           requested_at = excluded.requested_at, next_attempt_at = excluded.next_attempt_at, lease_id = excluded.lease_id,
           lease_until = excluded.lease_until, last_error = NULL, finished_at = NULL
         RETURNING *`,
      )
      .all({ callSid, now, attempts: lease ? 1 : 0, leaseId: lease?.leaseId ?? null, leaseUntil: lease?.until ?? null }));
    return lease && row ? { callSid, attempt: 1, requestedAt: row.requested_at, lease } : undefined;
  }

  async claimAnalysis(now: number, lease: JobLease): Promise<ClaimedAnalysis | undefined> {
    const [row] = this.db
      .prepare<[Record<string, unknown>], AnalysisRow>(
        `UPDATE call_analyses SET lease_id = @leaseId, lease_until = @until, attempts = attempts + 1
         WHERE call_sid = (SELECT call_sid FROM call_analyses
                           WHERE status = 'pending' AND next_attempt_at <= @now AND coalesce(lease_until, 0) <= @now
                           ORDER BY next_attempt_at LIMIT 1)
         RETURNING *`,
      )
      .all({ ...lease, now });
    return row && { callSid: row.call_sid, attempt: row.attempts, requestedAt: row.requested_at, lease };
  }

  async settleAnalysis(claim: ClaimedAnalysis, settlement: AnalysisSettlement, now: number): Promise<boolean> {
    return this.db.transaction((): boolean => {
      const result = settlement.status === 'done' ? settlement.result : undefined;
      const changed = this.db
        .prepare(
          `UPDATE call_analyses SET status = @status, next_attempt_at = @nextAttemptAt, last_error = @error,
             finished_at = @finishedAt, lease_id = NULL, lease_until = NULL,
             model = coalesce(@model, model), summary = coalesce(@summary, summary),
             fields_json = coalesce(@fields, fields_json),
             tokens_in = tokens_in + @tokensIn, tokens_in_cached = tokens_in_cached + @tokensInCached,
             tokens_out = tokens_out + @tokensOut, cost_usd = cost_usd + @costUsd
           WHERE call_sid = @callSid AND lease_id = @leaseId`,
        )
        .run({
          callSid: claim.callSid,
          leaseId: claim.lease.leaseId,
          status: settlement.status,
          nextAttemptAt: settlement.status === 'pending' ? settlement.nextAttemptAt : now,
          error: settlement.status === 'done' ? null : settlement.error,
          finishedAt: settlement.status === 'pending' ? null : now,
          model: result?.model ?? null,
          summary: result?.summary ?? null,
          fields: result ? JSON.stringify(result.fields) : null,
          tokensIn: result?.usage.inputTokens ?? 0,
          tokensInCached: result?.usage.cachedInputTokens ?? 0,
          tokensOut: result?.usage.outputTokens ?? 0,
          costUsd: result?.costUsd ?? 0,
        });
      if (changed.changes === 0) return false;
      if (settlement.status === 'done') for (const delivery of settlement.deliveries) this.insertDelivery(delivery);
      return true;
    })();
  }

  async analysisOf(callSid: string): Promise<CallAnalysis | undefined> {
    const row = this.db.prepare<[string], AnalysisRow>('SELECT * FROM call_analyses WHERE call_sid = ?').get(callSid);
    return row && toAnalysis(row);
  }

  async enqueueDelivery(delivery: NewDelivery): Promise<void> {
    refersToCall(delivery.callSid, () => this.insertDelivery(delivery));
  }

  async claimDelivery(now: number, lease: JobLease): Promise<ClaimedDelivery | undefined> {
    const [row] = this.db
      .prepare<[Record<string, unknown>], DeliveryRow>(
        `UPDATE webhook_deliveries SET lease_id = @leaseId, lease_until = @until, attempts = attempts + 1
         WHERE id = (SELECT id FROM webhook_deliveries
                     WHERE status = 'pending' AND next_attempt_at <= @now AND coalesce(lease_until, 0) <= @now
                     ORDER BY next_attempt_at, created_at LIMIT 1)
         RETURNING *`,
      )
      .all({ ...lease, now });
    return row && claimedDelivery(row, lease);
  }

  async settleDelivery(claim: ClaimedDelivery, attempt: DeliveryAttempt, settlement: DeliverySettlement): Promise<boolean> {
    return this.db.transaction((): boolean => {
      const changed = this.db
        .prepare(
          `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @nextAttemptAt, last_error = @error,
             finished_at = @finishedAt, lease_id = NULL, lease_until = NULL
           WHERE id = @id AND lease_id = @leaseId`,
        )
        .run({
          id: claim.id,
          leaseId: claim.lease.leaseId,
          status: settlement.status,
          nextAttemptAt: settlement.status === 'pending' ? settlement.nextAttemptAt : attempt.at,
          error: settlement.status === 'done' ? null : settlement.error,
          finishedAt: settlement.status === 'pending' ? null : attempt.at + attempt.durationMs,
        });
      if (changed.changes === 0) return false;
      this.db
        .prepare('INSERT INTO webhook_attempts (delivery_id, at, duration_ms, http_status, error) VALUES (?, ?, ?, ?, ?)')
        .run(claim.id, attempt.at, Math.round(attempt.durationMs), attempt.httpStatus ?? null, attempt.error ?? null);
      return true;
    })();
  }

  async deliveriesOf(callSid: string): Promise<WebhookDelivery[]> {
    const rows = this.db.prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE call_sid = ? ORDER BY created_at, id').all(callSid);
    const attempts = this.db
      .prepare<[string], AttemptRow>(
        `SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.call_sid = ? ORDER BY a.at, a.id`,
      )
      .all(callSid);
    return rows.map((row) => toDelivery(row, attempts));
  }

  private insertDelivery(delivery: NewDelivery): void {
    this.db
      .prepare(
        `INSERT INTO webhook_deliveries (id, call_sid, event_type, payload, status, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(delivery.id, delivery.callSid, delivery.eventType, delivery.payload, delivery.createdAt, delivery.createdAt);
  }
}

/** Conditions on `calls` for an analysis filter, their values added to `params` (named parameters). */
export function sqliteAnalysisConditions(filter: AnalysisFilter | undefined, params: Record<string, string | number>): string[] {
  const where: string[] = [];
  if (filter?.status === 'none') where.push('NOT EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid)');
  else if (filter?.status) {
    where.push('EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid AND a.status = @analysisStatus)');
    params.analysisStatus = filter.status;
  }
  if (filter?.field) {
    const candidates = fieldValueCandidates(filter.field.value);
    params.analysisField = filter.field.name;
    candidates.forEach((candidate, i) => (params[`analysisValue${i}`] = candidate));
    const values = candidates.map((_, i) => `@analysisValue${i}`).join(', ');
    // `->` gives the field as minified JSON text: "yes" with its quotes, true, 3.
    where.push(`EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_sid = calls.call_sid AND a.status = 'done'
      AND lower(a.fields_json -> @analysisField) IN (${values}))`);
  }
  return where;
}

/** Runs a write that refers to the call; a call not on record is said as such, as for the call's own writes. */
function refersToCall<T>(callSid: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new Error(`no call record ${callSid}`);
    throw err;
  }
}
