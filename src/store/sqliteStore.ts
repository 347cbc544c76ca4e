import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations';
import { isFinalOutcome, laterOutcome } from './outcome';
import type {
  CallDetail,
  CallEnd,
  CallEvent,
  CallFilter,
  CallOutcome,
  CallProgress,
  CallStats,
  CallStore,
  CallSummary,
  EndReason,
  NewCall,
  Turn,
} from './types';

/** `list()` returns at most this many calls unless the filter asks for fewer. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

interface CallRow {
  call_sid: string;
  stream_sid: string;
  direction: string;
  from_number: string;
  to_number: string;
  started_at: number;
  answered_at: number;
  ended_at: number | null;
  end_reason: string | null;
  model: string;
  voice: string;
  persona_name: string;
  audio_mode: string;
  barge_ins: number;
  first_audio_ms: number | null;
  turn_latencies_json: string;
  tokens_audio_in: number;
  tokens_audio_in_cached: number;
  tokens_text_in: number;
  tokens_text_in_cached: number;
  tokens_audio_out: number;
  tokens_text_out: number;
  tokens_transcription: number;
  transcription_seconds: number;
  cost_usd: number;
  recording_file: string | null;
  outcome: string | null;
  turn_count: number;
}

interface TurnRow {
  role: string;
  text: string;
  at: number;
  interrupted: number;
  heard_ms: number | null;
  spoken_ms: number | null;
  latency_ms: number | null;
}

interface EventRow {
  at: number;
  type: string;
  summary: string;
  detail_json: string | null;
}

const SUMMARY_COLUMNS = `calls.*, (SELECT count(*) FROM turns WHERE turns.call_sid = calls.call_sid) AS turn_count`;

/**
 * Opens (creating and migrating as needed) the SQLite call store at `file`, creating its folder.
 * WAL mode lets the CLI and the review pages read while calls are being written.
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

class SqliteCallStore implements CallStore {
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
    this.insertCall = db.prepare(`
      INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                         model, voice, persona_name, audio_mode, outcome)
      VALUES (@callSid, @streamSid, @direction, @from, @to, @startedAt, @answeredAt,
              @model, @voice, @personaName, @audioMode, 'in-progress')`);
    // The stream of a call its status callbacks put on record first; never a second stream.
    this.attachStream = db.prepare(`
      UPDATE calls SET stream_sid = @streamSid, from_number = @from, to_number = @to,
        started_at = min(started_at, @startedAt), answered_at = @answeredAt, model = @model, voice = @voice,
        persona_name = @personaName, audio_mode = @audioMode, outcome = @outcome
      WHERE call_sid = @callSid AND stream_sid = ''`);
    this.insertProgress = db.prepare(`
      INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                         model, voice, persona_name, audio_mode, outcome, ended_at)
      VALUES (@callSid, '', @direction, @from, @to, @startedAt, @startedAt,
              @model, @voice, @personaName, @audioMode, @outcome, @endedAt)`);
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
      WHERE call_sid = @callSid`);
    this.getCall = db.prepare<[string], CallRow>(`SELECT ${SUMMARY_COLUMNS} FROM calls WHERE call_sid = ?`);
    this.getTurns = db.prepare<[string], TurnRow>(`SELECT * FROM turns WHERE call_sid = ? ORDER BY at, id`);
    this.getEvents = db.prepare<[string], EventRow>(`SELECT * FROM events WHERE call_sid = ? ORDER BY at, id`);
  }

  open(call: NewCall): void {
    this.db.transaction(() => {
      const existing = this.outcomeOf.get(call.callSid);
      if (!existing) return void this.insertCall.run({ ...call });
      const outcome = laterOutcome(storedOutcome(existing.outcome), 'in-progress');
      if (this.attachStream.run({ ...call, outcome }).changes === 0) throw new Error(`call ${call.callSid} has a stream on record already`);
    })();
  }

  progress({ callSid, outcome, at, call }: CallProgress): CallOutcome {
    return this.db.transaction(() => {
      const endedAt = isFinalOutcome(outcome) ? at : null;
      const existing = this.outcomeOf.get(callSid);
      if (!existing) {
        this.insertProgress.run({ ...call, callSid, outcome, endedAt });
        return outcome;
      }
      const later = laterOutcome(storedOutcome(existing.outcome), outcome);
      this.setOutcome.run({ callSid, outcome: later, endedAt: isFinalOutcome(later) ? at : null });
      return later;
    })();
  }

  addTurn(callSid: string, turn: Turn): void {
    this.insertTurn.run(
      callSid,
      turn.role,
      turn.text,
      turn.at,
      turn.interrupted ? 1 : 0,
      turn.heardMs ?? null,
      turn.spokenMs ?? null,
      turn.latencyMs ?? null,
    );
  }

  addEvent(callSid: string, event: CallEvent): void {
    const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
    this.insertEvent.run(callSid, event.at, event.type, event.summary, detail);
  }

  updateStats(callSid: string, stats: CallStats): void {
    this.expectOne(
      this.updateStatsStmt.run({
        callSid,
        bargeIns: stats.bargeIns,
        firstAudioMs: stats.firstAudioMs ?? null,
        latencies: JSON.stringify(stats.turnLatenciesMs),
        ...stats.usage,
        costUsd: stats.costUsd,
      }),
      callSid,
    );
  }

  close(callSid: string, end: CallEnd): void {
    this.db.transaction(() => {
      const existing = this.outcomeOf.get(callSid);
      // A call whose stream ended was answered, and is over for Twilio too (or soon will be).
      const outcome = existing?.stream_sid ? laterOutcome(storedOutcome(existing.outcome), 'completed') : storedOutcome(existing?.outcome ?? null);
      this.expectOne(this.closeStmt.run({ callSid, ...end, recordingFile: end.recordingFile ?? null, outcome: outcome ?? null }), callSid);
    })();
  }

  closeAbandoned(now: number): number {
    const open = this.db
      .prepare<[], { call_sid: string; last_seen: number }>(
        `SELECT call_sid, max(answered_at,
            coalesce((SELECT max(at) FROM turns WHERE turns.call_sid = calls.call_sid), 0),
            coalesce((SELECT max(at) FROM events WHERE events.call_sid = calls.call_sid), 0)) AS last_seen
         FROM calls WHERE ended_at IS NULL`,
      )
      .all();
    const closeOne = this.db.transaction((callSid: string, endedAt: number) => {
      // The last thing we heard of the call is the best estimate of when it ended; `now` could be days later.
      this.close(callSid, { endedAt, endReason: 'crashed' });
      this.addEvent(callSid, {
        at: endedAt,
        type: 'note',
        summary: 'the server stopped during this call; closed on the next start',
      });
    });
    for (const call of open) closeOne(call.call_sid, Math.min(call.last_seen, now));
    return open.length;
  }

  list(filter: CallFilter = {}): CallSummary[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.number) {
      where.push(`(from_number LIKE @number ESCAPE '\\' OR to_number LIKE @number ESCAPE '\\')`);
      params.number = `%${escapeLike(numberNeedle(filter.number))}%`;
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
      params.search = `%${escapeLike(filter.search)}%`;
    }
    params.limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT));
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, rowid DESC LIMIT @limit`;
    return this.db.prepare<[Record<string, string | number>], CallRow>(sql).all(params).map(toSummary);
  }

  get(callSid: string): CallDetail | undefined {
    const row = this.getCall.get(callSid);
    if (!row) return undefined;
    return {
      ...toSummary(row),
      transcript: this.getTurns.all(callSid).map(toTurn),
      events: this.getEvents.all(callSid).map(toEvent),
    };
  }

  recordingsEndedBefore(cutoff: number): string[] {
    return this.db
      .prepare<[number], { recording_file: string }>(
        'SELECT recording_file FROM calls WHERE ended_at < ? AND recording_file IS NOT NULL',
      )
      .all(cutoff)
      .map((r) => r.recording_file);
  }

  deleteEndedBefore(cutoff: number, keepRecordings: string[] = []): string[] {
    return this.db.transaction(() => {
      const files = this.recordingsEndedBefore(cutoff).filter((file) => !keepRecordings.includes(file));
      this.db
        .prepare(`DELETE FROM calls WHERE ended_at < ? AND coalesce(recording_file, '') NOT IN (SELECT value FROM json_each(?))`)
        .run(cutoff, JSON.stringify(keepRecordings));
      return files;
    })();
  }

  shutdown(): void {
    if (this.db.open) this.db.close();
  }

  private expectOne(result: Database.RunResult, callSid: string): void {
    if (result.changes === 0) throw new Error(`no call record ${callSid}`);
  }
}

/** Phone numbers are stored as E.164 (+15551234567); "(555) 123-4567" should still find them. */
function numberNeedle(input: string): string {
  const digits = input.replace(/\D/g, '');
  return digits.length >= 3 ? digits : input;
}

function storedOutcome(value: string | null): CallOutcome | undefined {
  return value === null ? undefined : (value as CallOutcome);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toSummary(row: CallRow): CallSummary {
  const summary: CallSummary = {
    callSid: row.call_sid,
    streamSid: row.stream_sid,
    direction: row.direction as CallSummary['direction'],
    from: row.from_number,
    to: row.to_number,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    model: row.model,
    voice: row.voice,
    personaName: row.persona_name,
    audioMode: row.audio_mode as CallSummary['audioMode'],
    bargeIns: row.barge_ins,
    turnLatenciesMs: JSON.parse(row.turn_latencies_json) as number[],
    usage: {
      audioIn: row.tokens_audio_in,
      audioInCached: row.tokens_audio_in_cached,
      textIn: row.tokens_text_in,
      textInCached: row.tokens_text_in_cached,
      audioOut: row.tokens_audio_out,
      textOut: row.tokens_text_out,
      transcription: row.tokens_transcription,
      transcriptionSeconds: row.transcription_seconds,
    },
    costUsd: row.cost_usd,
    turnCount: row.turn_count,
  };
  if (row.first_audio_ms !== null) summary.firstAudioMs = row.first_audio_ms;
  if (row.outcome !== null) summary.outcome = row.outcome as CallOutcome;
  if (row.ended_at !== null) {
    summary.endedAt = row.ended_at;
    if (row.stream_sid !== '') summary.durationMs = Math.max(0, row.ended_at - row.answered_at);
  }
  if (row.end_reason !== null) summary.endReason = row.end_reason as EndReason;
  if (row.recording_file !== null) summary.recordingFile = row.recording_file;
  return summary;
}

function toTurn(row: TurnRow): Turn {
  const turn: Turn = { role: row.role as Turn['role'], text: row.text, at: row.at, interrupted: row.interrupted === 1 };
  if (row.heard_ms !== null) turn.heardMs = row.heard_ms;
  if (row.spoken_ms !== null) turn.spokenMs = row.spoken_ms;
  if (row.latency_ms !== null) turn.latencyMs = row.latency_ms;
  return turn;
}

function toEvent(row: EventRow): CallEvent {
  const event: CallEvent = { at: row.at, type: row.type as CallEvent['type'], summary: row.summary };
  if (row.detail_json !== null) event.detail = JSON.parse(row.detail_json) as Record<string, unknown>;
  return event;
}
