import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ANALYSIS_SUMMARY_COLUMNS } from './jobRows';
import { migrate } from './migrations';
import type { Overview, OverviewRange } from './overview';
import { isFinalOutcome, laterOutcome } from './outcome';
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
import { SqliteJobs, sqliteAnalysisConditions } from './sqliteJobs';
import { sqliteOverview } from './sqliteOverview';
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

export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './rows';

const SUMMARY_COLUMNS = `calls.*, (SELECT count(*) FROM turns WHERE turns.call_sid = calls.call_sid) AS turn_count, ${ANALYSIS_SUMMARY_COLUMNS}`;

/**
 * Opens (creating and migrating as needed) the SQLite call store at `file`, creating its folder.
 * WAL mode lets the CLI and the review pages read while calls are being written. Each write is committed when it
 * is made, before its promise resolves.
 */
export function openSqliteStore(file: string): CallStore {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives a process crash (only an OS crash or power loss can drop the last commits).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteCallStore(db);
}

/**
 * better-sqlite3 is synchronous: each method does its work when called and returns a settled promise. So writes
 * are applied in the order they are made with no queue (`orderWrites` is for stores that really wait), and each
 * is on disk the moment it is made.
 */
class SqliteCallStore implements CallStore {
  private readonly jobs: SqliteJobs;
  private readonly insertCall;
  private readonly attachStream;
  private readonly insertProgress;
  private readonly setOutcome;
  private readonly outcomeOf;
  private readonly insertTurn;
  private readonly insertEvent;
  private readonly updateStatsStmt;
  private readonly closeStmt;
  private readonly getCall;
  private readonly getTurns;
  private readonly getEvents;

  constructor(private readonly db: Database.Database) {
    this.jobs = new SqliteJobs(db);
    this.insertCall = db.prepare(`
      INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                         model, voice, persona_name, audio_mode, outcome, instance_id)
      VALUES (@callSid, @streamSid, @direction, @from, @to, @startedAt, @answeredAt,
              @model, @voice, @personaName, @audioMode, 'in-progress', @instanceId)`);
    // The stream of a call its status callbacks put on record first; never a second stream.
    this.attachStream = db.prepare(`
      UPDATE calls SET stream_sid = @streamSid, from_number = @from, to_number = @to,
        started_at = min(started_at, @startedAt), answered_at = @answeredAt, model = @model, voice = @voice,
        persona_name = @personaName, audio_mode = @audioMode, outcome = @outcome,
        instance_id = coalesce(@instanceId, instance_id)
      WHERE call_sid = @callSid AND stream_sid = ''`);
    this.insertProgress = db.prepare(`
      INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                         model, voice, persona_name, audio_mode, outcome, ended_at, instance_id)
      VALUES (@callSid, '', @direction, @from, @to, @startedAt, @startedAt,
              @model, @voice, @personaName, @audioMode, @outcome, @endedAt, @instanceId)`);
    this.setOutcome = db.prepare(`
      UPDATE calls SET outcome = @outcome,
        ended_at = CASE WHEN stream_sid = '' AND ended_at IS NULL THEN @endedAt ELSE ended_at END
      WHERE call_sid = @callSid`);
    this.outcomeOf = db.prepare<[string], { outcome: string | null; stream_sid: string }>(
      'SELECT outcome, stream_sid FROM calls WHERE call_sid = ?',
    );
    this.insertTurn = db.prepare(`
      INSERT INTO turns (call_sid, role, text, at, interrupted, heard_ms, spoken_ms, latency_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertEvent = db.prepare(`INSERT INTO events (call_sid, at, type, summary, detail_json) VALUES (?, ?, ?, ?, ?)`);
    this.updateStatsStmt = db.prepare(`
      UPDATE calls SET barge_ins = @bargeIns, first_audio_ms = @firstAudioMs, turn_latencies_json = @latencies,
        tokens_audio_in = @audioIn, tokens_audio_in_cached = @audioInCached,
        tokens_text_in = @textIn, tokens_text_in_cached = @textInCached,
        tokens_audio_out = @audioOut, tokens_text_out = @textOut, tokens_transcription = @transcription,
        transcription_seconds = @transcriptionSeconds, cost_usd = @costUsd
      WHERE call_sid = @callSid`);
    this.closeStmt = db.prepare(`
      UPDATE calls SET ended_at = @endedAt, end_reason = @endReason, recording_file = coalesce(@recordingFile, recording_file),
        outcome = @outcome
      WHERE call_sid = @callSid AND (@onlyOpen = 0 OR ended_at IS NULL)`);
    this.getCall = db.prepare<[string], CallRow>(`SELECT ${SUMMARY_COLUMNS} FROM calls WHERE call_sid = ?`);
    this.getTurns = db.prepare<[string], TurnRow>(`SELECT * FROM turns WHERE call_sid = ? ORDER BY at, id`);
    this.getEvents = db.prepare<[string], EventRow>(`SELECT * FROM events WHERE call_sid = ? ORDER BY at, id`);
  }

  async open(call: NewCall): Promise<void> {
    this.db.transaction(() => {
      const existing = this.outcomeOf.get(call.callSid);
      if (!existing) return void this.insertCall.run({ ...call, instanceId: call.instanceId ?? null });
      const outcome = laterOutcome(storedOutcome(existing.outcome), 'in-progress');
      const attached = this.attachStream.run({ ...call, outcome, instanceId: call.instanceId ?? null });
      if (attached.changes === 0) throw new Error(`call ${call.callSid} has a stream on record already`);
    })();
  }

  async progress({ callSid, outcome, at, call }: CallProgress): Promise<CallOutcome> {
    return this.db.transaction(() => {
      const existing = this.outcomeOf.get(callSid);
      if (!existing) {
        const endedAt = isFinalOutcome(outcome) ? at : null;
        this.insertProgress.run({ ...call, callSid, outcome, endedAt, instanceId: call.instanceId ?? null });
        return outcome;
      }
      const later = laterOutcome(storedOutcome(existing.outcome), outcome);
      this.setOutcome.run({ callSid, outcome: later, endedAt: isFinalOutcome(later) ? at : null });
      return later;
    })();
  }

  async addTurn(callSid: string, turn: Turn): Promise<void> {
    expectCall(callSid, () =>
      this.insertTurn.run(
        callSid,
        turn.role,
        turn.text,
        turn.at,
        turn.interrupted ? 1 : 0,
        turn.heardMs ?? null,
        turn.spokenMs ?? null,
        turn.latencyMs ?? null,
      ),
    );
  }

  async addEvent(callSid: string, event: CallEvent): Promise<void> {
    expectCall(callSid, () => this.writeEvent(callSid, event));
  }

  async updateStats(callSid: string, stats: CallStats): Promise<void> {
    const result = this.updateStatsStmt.run({
      callSid,
      bargeIns: stats.bargeIns,
      firstAudioMs: stats.firstAudioMs ?? null,
      latencies: JSON.stringify(stats.turnLatenciesMs),
      ...stats.usage,
      costUsd: stats.costUsd,
    });
    if (result.changes === 0) throw noRecord(callSid);
  }

  async close(callSid: string, end: CallEnd): Promise<void> {
    if (!this.closeCall(callSid, end, false)) throw noRecord(callSid);
  }

  async closeAbandoned(now: number, scope?: AbandonedScope): Promise<number> {
    const open = this.db
      .prepare<[{ instanceId: string | null; stale: string }], { call_sid: string; last_seen: number }>(
        `SELECT call_sid, max(answered_at,
            coalesce((SELECT max(at) FROM turns WHERE turns.call_sid = calls.call_sid), 0),
            coalesce((SELECT max(at) FROM events WHERE events.call_sid = calls.call_sid), 0)) AS last_seen
         FROM calls
         WHERE ended_at IS NULL
           AND (@instanceId IS NULL OR instance_id IS NULL OR instance_id = @instanceId
                OR instance_id IN (SELECT value FROM json_each(@stale)))`,
      )
      .all({ instanceId: scope?.instanceId ?? null, stale: JSON.stringify(scope?.staleInstances ?? []) });
    // One transaction per call, and only while it is still open: another instance may be closing it too.
    const closeOne = this.db.transaction((callSid: string, endedAt: number): boolean => {
      if (!this.closeCall(callSid, { endedAt, endReason: 'crashed' }, true)) return false;
      this.writeEvent(callSid, { at: endedAt, type: 'note', summary: ABANDONED_NOTE });
      return true;
    });
    // The last thing we heard of the call is the best estimate of when it ended; `now` could be days later.
    const closed = open.filter((call) => closeOne(call.call_sid, Math.min(call.last_seen, now))).length;
    if (scope && scope.staleInstances.length > 0) {
      this.db.prepare('DELETE FROM instances WHERE instance_id IN (SELECT value FROM json_each(?))').run(JSON.stringify(scope.staleInstances));
    }
    return closed;
  }

  async claim(key: string, untilMs: number): Promise<boolean> {
    this.pruneShared();
    const claimed = this.db
      .prepare(
        `INSERT INTO shared_state (key, value, until_ms) VALUES (?, '', ?)
         ON CONFLICT (key) DO UPDATE SET value = '', until_ms = excluded.until_ms WHERE shared_state.until_ms <= ?`,
      )
      .run(key, untilMs, Date.now());
    return claimed.changes === 1;
  }

  async put(key: string, value: string, untilMs: number): Promise<void> {
    this.pruneShared();
    this.db
      .prepare(`INSERT INTO shared_state (key, value, until_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, until_ms = excluded.until_ms`)
      .run(key, value, untilMs);
  }

  async take(key: string): Promise<string | undefined> {
    const row = this.db.prepare('DELETE FROM shared_state WHERE key = ? RETURNING value, until_ms').get(key) as { value: string; until_ms: number } | undefined;
    return row && row.until_ms > Date.now() ? row.value : undefined;
  }

  async read(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM shared_state WHERE key = ? AND until_ms > ?').get(key, Date.now()) as { value: string } | undefined;
    return row?.value;
  }

  private pruneShared(): void {
    this.db.prepare('DELETE FROM shared_state WHERE until_ms <= ?').run(Date.now());
  }

  async heartbeat(instanceId: string, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO instances (instance_id, heartbeat_at) VALUES (?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      )
      .run(instanceId, now);
  }

  async staleInstances(olderThan: number): Promise<string[]> {
    return this.db
      .prepare<[number], { instance_id: string }>(
        `SELECT instance_id FROM instances WHERE heartbeat_at < ?
         UNION
         SELECT instance_id FROM calls
         WHERE ended_at IS NULL AND instance_id IS NOT NULL
           AND instance_id NOT IN (SELECT instance_id FROM instances)
         ORDER BY instance_id`,
      )
      .all(olderThan)
      .map((row) => row.instance_id);
  }

  async list(filter: CallFilter = {}): Promise<CallSummary[]> {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.number) {
      where.push(`(from_number LIKE @number ESCAPE '\\' OR to_number LIKE @number ESCAPE '\\')`);
      params.number = containsPattern(numberNeedle(filter.number));
    }
    if (filter.endReason) {
      where.push('end_reason = @endReason');
      params.endReason = filter.endReason;
    }
    if (filter.direction) {
      where.push('direction = @direction');
      params.direction = filter.direction;
    }
    if (filter.outcome) {
      where.push('outcome = @outcome');
      params.outcome = filter.outcome;
    }
    if (filter.since !== undefined) {
      where.push('started_at >= @since');
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      where.push('started_at < @until');
      params.until = filter.until;
    }
    if (filter.search) {
      // LIKE is case-insensitive for ASCII; good enough for a few thousand calls and keeps the schema plain.
      where.push(`(calls.call_sid LIKE @search ESCAPE '\\' OR from_number LIKE @search ESCAPE '\\'
        OR to_number LIKE @search ESCAPE '\\' OR persona_name LIKE @search ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM turns WHERE turns.call_sid = calls.call_sid AND turns.text LIKE @search ESCAPE '\\'))`);
      params.search = containsPattern(filter.search);
    }
    where.push(...sqliteAnalysisConditions(filter.analysis, params));
    params.limit = listLimit(filter);
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, rowid DESC LIMIT @limit`;
    return this.db.prepare<[Record<string, string | number>], CallRow>(sql).all(params).map(toSummary);
  }

  async overview(range: OverviewRange): Promise<Overview> {
    return sqliteOverview(this.db, range);
  }

  async get(callSid: string): Promise<CallDetail | undefined> {
    const row = this.getCall.get(callSid);
    return row && toDetail(row, this.getTurns.all(callSid), this.getEvents.all(callSid));
  }

  async recordingsEndedBefore(cutoff: number): Promise<string[]> {
    return this.recordingFiles(cutoff);
  }

  async deleteEndedBefore(cutoff: number, keepRecordings: string[] = []): Promise<string[]> {
    return this.db.transaction(() => {
      const files = this.recordingFiles(cutoff).filter((file) => !keepRecordings.includes(file));
      this.db
        .prepare(`DELETE FROM calls WHERE ended_at < ? AND coalesce(recording_file, '') NOT IN (SELECT value FROM json_each(?))`)
        .run(cutoff, JSON.stringify(keepRecordings));
      return files;
    })();
  }

  // Analyses and webhook deliveries: sqliteJobs.ts.
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
    if (this.db.open) this.db.close();
  }

  private recordingFiles(cutoff: number): string[] {
    return this.db
      .prepare<[number], { recording_file: string }>('SELECT recording_file FROM calls WHERE ended_at < ? AND recording_file IS NOT NULL')
      .all(cutoff)
      .map((r) => r.recording_file);
  }

  private writeEvent(callSid: string, event: CallEvent): void {
    const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
    this.insertEvent.run(callSid, event.at, event.type, event.summary, detail);
  }

  /** Ends the record; `onlyOpen` leaves a call that has ended already alone. False when nothing was closed. */
  private closeCall(callSid: string, end: CallEnd, onlyOpen: boolean): boolean {
    return this.db.transaction(() => {
      const existing = this.outcomeOf.get(callSid);
      if (!existing) return false;
      // A call whose stream ended was answered, and is over for Twilio too (or soon will be).
      const outcome = existing.stream_sid ? laterOutcome(storedOutcome(existing.outcome), 'completed') : storedOutcome(existing.outcome);
      const params = { callSid, ...end, recordingFile: end.recordingFile ?? null, outcome: outcome ?? null, onlyOpen: onlyOpen ? 1 : 0 };
      return this.closeStmt.run(params).changes > 0;
    })();
  }
}

/** Runs an insert that refers to the call; a call not on record is said as such, as for the other writes. */
function expectCall(callSid: string, insert: () => unknown): void {
  try {
    insert();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw noRecord(callSid);
    throw err;
  }
}

function noRecord(callSid: string): Error {
  return new Error(`no call record ${callSid}`);
}
