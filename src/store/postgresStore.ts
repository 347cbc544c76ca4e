import pg from 'pg';
import { ANALYSIS_SUMMARY_COLUMNS } from './jobRows';
import { orderWrites } from './ordered';
import type { Overview, OverviewRange } from './overview';
import { postgresOverview } from './postgresOverview';
import { isFinalOutcome, laterOutcome } from './outcome';
import { PostgresJobs, postgresAnalysisConditions } from './postgresJobs';
import { migratePostgres } from './postgresMigrations';
import {
  ABANDONED_NOTE,
  containsPattern,
  listLimit,
  numberNeedle,
  storedOutcome,
  toDetail,
  toSummary,
  type CallRow,
  type EventRow,
  type TurnRow,
} from './rows';
import type {
  AbandonedScope,
  CallDetail,
  CallEnd,
  CallEvent,
  CallFilter,
  CallOutcome,
  CallProgress,
  CallStats,
  CallStore,
  CallSummary,
  NewCall,
  Turn,
} from './types';

export interface PostgresOptions {
  /** Connections this instance keeps open at most. */
  poolSize: number;
  /** A connection not made by then fails (the start, or the write that needed it). */
  connectTimeoutMs: number;
  /** Errors of idle connections (the server restarted, the network dropped): the pool replaces them. */
  onError?: (err: Error) => void;
}

type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;

const SUMMARY_COLUMNS = `calls.*, (SELECT count(*) FROM turns WHERE turns.call_sid = calls.call_sid)::integer AS turn_count, ${ANALYSIS_SUMMARY_COLUMNS}`;

/** BIGINT comes back as a number: epoch milliseconds and counts are far below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The foreign key a turn or an event of a call not on record breaks. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Opens the PostgreSQL call store at `url` (`postgres://user:password@host:5432/database`; a schema other than
 * `public` through `?options=-c%20search_path%3Dname`), migrating its schema under a lock first. Writes go
 * through a pool of connections, so the store orders each call's writes itself (`orderWrites`).
 */
export async function openPostgresStore(url: string, options: PostgresOptions): Promise<CallStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    types: TYPES,
  });
  pool.on('error', (err) => options.onError?.(err));
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return orderWrites(new PostgresCallStore(pool));
}

class PostgresCallStore implements CallStore {
  private ended = false;
  private readonly jobs: PostgresJobs;

  constructor(private readonly pool: pg.Pool) {
    this.jobs = new PostgresJobs((sql, params) => this.pool.query(sql, params), (work) => this.transaction(work));
  }

  async open(call: NewCall): Promise<void> {
    await this.transaction(async (query) => {
      const inserted = await query(
        `INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                            model, voice, persona_name, audio_mode, outcome, instance_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'in-progress', $12)
         ON CONFLICT (call_sid) DO NOTHING`,
        [call.callSid, call.streamSid, call.direction, call.from, call.to, call.startedAt, call.answeredAt, call.model, call.voice, call.personaName, call.audioMode, call.instanceId ?? null],
      );
      if (inserted.rowCount === 1) return;
      // The record its status callbacks started: the stream takes it over, unless it has a stream already.
      const existing = await this.lockCall(query, call.callSid);
      if (!existing || existing.stream_sid !== '') throw new Error(`call ${call.callSid} has a stream on record already`);
      await query(
        `UPDATE calls SET stream_sid = $2, from_number = $3, to_number = $4, started_at = least(started_at, $5),
           answered_at = $6, model = $7, voice = $8, persona_name = $9, audio_mode = $10, outcome = $11,
           instance_id = coalesce($12, instance_id)
         WHERE call_sid = $1`,
        [
          call.callSid,
          call.streamSid,
          call.from,
          call.to,
          call.startedAt,
          call.answeredAt,
          call.model,
          call.voice,
          call.personaName,
          call.audioMode,
          laterOutcome(storedOutcome(existing.outcome), 'in-progress'),
          call.instanceId ?? null,
        ],
      );
    });
  }

  async progress({ callSid, outcome, at, call }: CallProgress): Promise<CallOutcome> {
    return this.transaction(async (query) => {
      const inserted = await query(
        `INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                            model, voice, persona_name, audio_mode, outcome, ended_at, instance_id)
         VALUES ($1, '', $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (call_sid) DO NOTHING`,
        [callSid, call.direction, call.from, call.to, call.startedAt, call.model, call.voice, call.personaName, call.audioMode, outcome, isFinalOutcome(outcome) ? at : null, call.instanceId ?? null],
      );
      if (inserted.rowCount === 1) return outcome;
      const existing = await this.lockCall(query, callSid);
      const later = laterOutcome(storedOutcome(existing?.outcome), outcome);
      await query(
        `UPDATE calls SET outcome = $2,
           ended_at = CASE WHEN stream_sid = '' AND ended_at IS NULL THEN $3 ELSE ended_at END
         WHERE call_sid = $1`,
        [callSid, later, isFinalOutcome(later) ? at : null],
      );
      return later;
    });
  }

  async addTurn(callSid: string, turn: Turn): Promise<void> {
    await expectCall(callSid, () =>
      this.pool.query(
        `INSERT INTO turns (call_sid, role, text, at, interrupted, heard_ms, spoken_ms, latency_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [callSid, turn.role, turn.text, turn.at, turn.interrupted, turn.heardMs ?? null, turn.spokenMs ?? null, turn.latencyMs ?? null],
      ),
    );
  }

  async addEvent(callSid: string, event: CallEvent): Promise<void> {
    await expectCall(callSid, () => insertEvent((sql, params) => this.pool.query(sql, params), callSid, event));
  }

  async updateStats(callSid: string, stats: CallStats): Promise<void> {
    const { usage } = stats;
    const result = await this.pool.query(
      `UPDATE calls SET barge_ins = $2, first_audio_ms = $3, turn_latencies_json = $4,
         tokens_audio_in = $5, tokens_audio_in_cached = $6, tokens_text_in = $7, tokens_text_in_cached = $8,
         tokens_audio_out = $9, tokens_text_out = $10, tokens_transcription = $11,
         transcription_seconds = $12, cost_usd = $13
       WHERE call_sid = $1`,
      [
        callSid,
        stats.bargeIns,
        stats.firstAudioMs ?? null,
        JSON.stringify(stats.turnLatenciesMs),
        usage.audioIn,
        usage.audioInCached,
        usage.textIn,
        usage.textInCached,
        usage.audioOut,
        usage.textOut,
        usage.transcription,
        usage.transcriptionSeconds,
        stats.costUsd,
      ],
    );
    if (result.rowCount === 0) throw noRecord(callSid);
  }

  async close(callSid: string, end: CallEnd): Promise<void> {
    const closed = await this.transaction((query) => this.closeCall(query, callSid, end, false));
    if (!closed) throw noRecord(callSid);
  }

  async closeAbandoned(now: number, scope?: AbandonedScope): Promise<number> {
    const { rows: open } = await this.pool.query<{ call_sid: string; last_seen: number }>(
      `SELECT call_sid, greatest(answered_at,
          coalesce((SELECT max(at) FROM turns WHERE turns.call_sid = calls.call_sid), 0),
          coalesce((SELECT max(at) FROM events WHERE events.call_sid = calls.call_sid), 0)) AS last_seen
       FROM calls
       WHERE ended_at IS NULL
         AND ($1::text IS NULL OR instance_id IS NULL OR instance_id = $1 OR instance_id = ANY($2::text[]))`,
      [scope?.instanceId ?? null, scope?.staleInstances ?? []],
    );
    let closed = 0;
    for (const call of open) {
      // The last thing we heard of the call is the best estimate of when it ended; `now` could be days later.
      const endedAt = Math.min(call.last_seen, now);
      // Only while it is still open: another instance may be closing it at the same moment.
      const done = await this.transaction(async (query) => {
        if (!(await this.closeCall(query, call.call_sid, { endedAt, endReason: 'crashed' }, true))) return false;
        await insertEvent(query, call.call_sid, { at: endedAt, type: 'note', summary: ABANDONED_NOTE });
        return true;
      });
      if (done) closed++;
    }
    if (scope && scope.staleInstances.length > 0) {
      await this.pool.query('DELETE FROM instances WHERE instance_id = ANY($1::text[])', [scope.staleInstances]);
    }
    return closed;
  }

  async claim(key: string, untilMs: number): Promise<boolean> {
    await this.pruneShared();
    const claimed = await this.pool.query(
      `INSERT INTO shared_state (key, value, until_ms) VALUES ($1, '', $2)
       ON CONFLICT (key) DO UPDATE SET value = '', until_ms = excluded.until_ms WHERE shared_state.until_ms <= $3`,
      [key, untilMs, Date.now()],
    );
    return claimed.rowCount === 1;
  }

  async put(key: string, value: string, untilMs: number): Promise<void> {
    await this.pruneShared();
    await this.pool.query(
      `INSERT INTO shared_state (key, value, until_ms) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, until_ms = excluded.until_ms`,
      [key, value, untilMs],
    );
  }

  async take(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string; until_ms: string }>('DELETE FROM shared_state WHERE key = $1 RETURNING value, until_ms', [key]);
    return rows[0] && Number(rows[0].until_ms) > Date.now() ? rows[0].value : undefined;
  }

  async read(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM shared_state WHERE key = $1 AND until_ms > $2', [key, Date.now()]);
    return rows[0]?.value;
  }

  private async pruneShared(): Promise<void> {
    await this.pool.query('DELETE FROM shared_state WHERE until_ms <= $1', [Date.now()]);
  }

  async heartbeat(instanceId: string, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO instances (instance_id, heartbeat_at) VALUES ($1, $2)
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      [instanceId, now],
    );
  }

  async staleInstances(olderThan: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ instance_id: string }>(
      `SELECT instance_id FROM instances WHERE heartbeat_at < $1
       UNION
       SELECT instance_id FROM calls
       WHERE ended_at IS NULL AND instance_id IS NOT NULL
         AND instance_id NOT IN (SELECT instance_id FROM instances)
       ORDER BY instance_id`,
      [olderThan],
    );
    return rows.map((row) => row.instance_id);
  }

  async list(filter: CallFilter = {}): Promise<CallSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.number) {
      const number = param(containsPattern(numberNeedle(filter.number)));
      where.push(`(from_number LIKE ${number} ESCAPE '\\' OR to_number LIKE ${number} ESCAPE '\\')`);
    }
    if (filter.endReason) where.push(`end_reason = ${param(filter.endReason)}`);
    if (filter.direction) where.push(`direction = ${param(filter.direction)}`);
    if (filter.outcome) where.push(`outcome = ${param(filter.outcome)}`);
    if (filter.since !== undefined) where.push(`started_at >= ${param(filter.since)}`);
    if (filter.until !== undefined) where.push(`started_at < ${param(filter.until)}`);
    if (filter.search) {
      // ILIKE, as SQLite's LIKE ignores case; a sequential scan is fine for the thousands of calls kept.
      const search = param(containsPattern(filter.search));
      where.push(`(calls.call_sid ILIKE ${search} ESCAPE '\\' OR from_number ILIKE ${search} ESCAPE '\\'
        OR to_number ILIKE ${search} ESCAPE '\\' OR persona_name ILIKE ${search} ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM turns WHERE turns.call_sid = calls.call_sid AND turns.text ILIKE ${search} ESCAPE '\\'))`);
    }
    where.push(...postgresAnalysisConditions(filter.analysis, param));
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, seq DESC LIMIT ${param(listLimit(filter))}`;
    const { rows } = await this.pool.query<CallRow>(sql, params);
    return rows.map(toSummary);
  }

  async overview(range: OverviewRange): Promise<Overview> {
    return postgresOverview(this.pool, range);
  }

  async get(callSid: string): Promise<CallDetail | undefined> {
    const [call, turns, events] = await Promise.all([
      this.pool.query<CallRow>(`SELECT ${SUMMARY_COLUMNS} FROM calls WHERE call_sid = $1`, [callSid]),
      this.pool.query<TurnRow>('SELECT * FROM turns WHERE call_sid = $1 ORDER BY at, id', [callSid]),
      this.pool.query<EventRow>('SELECT * FROM events WHERE call_sid = $1 ORDER BY at, id', [callSid]),
    ]);
    return call.rows[0] && toDetail(call.rows[0], turns.rows, events.rows);
  }

  async recordingsEndedBefore(cutoff: number): Promise<string[]> {
    return recordingFiles((sql, params) => this.pool.query(sql, params), cutoff);
  }

  async deleteEndedBefore(cutoff: number, keepRecordings: string[] = []): Promise<string[]> {
    return this.transaction(async (query) => {
      const files = (await recordingFiles(query, cutoff)).filter((file) => !keepRecordings.includes(file));
      await query(`DELETE FROM calls WHERE ended_at < $1 AND coalesce(recording_file, '') <> ALL($2::text[])`, [cutoff, keepRecordings]);
      return files;
    });
  }

  // Analyses and webhook deliveries: postgresJobs.ts.
  requestAnalysis: CallStore['requestAnalysis'] = (...args) => this.jobs.requestAnalysis(...args);
  claimAnalysis: CallStore['claimAnalysis'] = (...args) => this.jobs.claimAnalysis(...args);
  settleAnalysis: CallStore['settleAnalysis'] = (...args) => this.jobs.settleAnalysis(...args);
  analysisOf: CallStore['analysisOf'] = (...args) => this.jobs.analysisOf(...args);
  enqueueDelivery: CallStore['enqueueDelivery'] = (...args) => this.jobs.enqueueDelivery(...args);
  claimDelivery: CallStore['claimDelivery'] = (...args) => this.jobs.claimDelivery(...args);
  settleDelivery: CallStore['settleDelivery'] = (...args) => this.jobs.settleDelivery(...args);
  deliveriesOf: CallStore['deliveriesOf'] = (...args) => this.jobs.deliveriesOf(...args);

  async flush(): Promise<void> {}

  async shutdown(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }

  /** The call's outcome and stream, its row locked until the transaction ends. */
  private async lockCall(query: Query, callSid: string): Promise<{ outcome: string | null; stream_sid: string } | undefined> {
    const { rows } = await query<{ outcome: string | null; stream_sid: string }>('SELECT outcome, stream_sid FROM calls WHERE call_sid = $1 FOR UPDATE', [callSid]);
    return rows[0];
  }

  /** Ends the record; `onlyOpen` leaves a call that has ended already alone. False when nothing was closed. */
  private async closeCall(query: Query, callSid: string, end: CallEnd, onlyOpen: boolean): Promise<boolean> {
    const existing = await this.lockCall(query, callSid);
    if (!existing) return false;
    // A call whose stream ended was answered, and is over for Twilio too (or soon will be).
    const outcome = existing.stream_sid ? laterOutcome(storedOutcome(existing.outcome), 'completed') : storedOutcome(existing.outcome);
    const result = await query(
      `UPDATE calls SET ended_at = $2, end_reason = $3, recording_file = coalesce($4, recording_file), outcome = $5
       WHERE call_sid = $1 AND (NOT $6 OR ended_at IS NULL)`,
      [callSid, end.endedAt, end.endReason, end.recordingFile ?? null, outcome ?? null, onlyOpen],
    );
    return result.rowCount === 1;
  }

  /** Runs `work` in a transaction on one connection; a connection left broken is dropped, not reused. */
  private async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work((sql, params) => client.query(sql, params));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

function insertEvent(query: Query, callSid: string, event: CallEvent): Promise<unknown> {
  return query('INSERT INTO events (call_sid, at, type, summary, detail_json) VALUES ($1, $2, $3, $4, $5)', [
    callSid,
    event.at,
    event.type,
    event.summary,
    event.detail === undefined ? null : JSON.stringify(event.detail),
  ]);
}

async function recordingFiles(query: Query, cutoff: number): Promise<string[]> {
  const { rows } = await query<{ recording_file: string }>('SELECT recording_file FROM calls WHERE ended_at < $1 AND recording_file IS NOT NULL', [cutoff]);
  return rows.map((row) => row.recording_file);
}

/** Runs an insert that refers to the call; a call not on record is said as such, as for the other writes. */
async function expectCall(callSid: string, insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw noRecord(callSid);
    throw err;
  }
}

function noRecord(callSid: string): Error {
  return new Error(`no call record ${callSid}`);
}
