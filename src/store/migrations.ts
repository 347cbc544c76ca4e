import type Database from 'better-sqlite3';

/**
 * SQLite schema migrations, applied in order. The database's `PRAGMA user_version` is the number of migrations
 * already applied, so a migration is never run twice and never edited once released: add a new one at the end
 * instead, and the same step to the PostgreSQL list (postgresMigrations.ts), so a version means one schema on both.
 */
export type Migration = (db: Database.Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // 1: calls, their turns (the transcript as heard) and their events.
  (db) =>
    db.exec(`
      CREATE TABLE calls (
        call_sid             TEXT PRIMARY KEY,
        stream_sid           TEXT NOT NULL,
        direction            TEXT NOT NULL,
        from_number          TEXT NOT NULL,
        to_number            TEXT NOT NULL,
        started_at           INTEGER NOT NULL,
        answered_at          INTEGER NOT NULL,
        ended_at             INTEGER,
        end_reason           TEXT,
        model                TEXT NOT NULL,
        voice                TEXT NOT NULL,
        persona_name         TEXT NOT NULL,
        audio_mode           TEXT NOT NULL,
        barge_ins            INTEGER NOT NULL DEFAULT 0,
        first_audio_ms       INTEGER,
        turn_latencies_json  TEXT NOT NULL DEFAULT '[]',
        tokens_audio_in         INTEGER NOT NULL DEFAULT 0,
        tokens_audio_in_cached  INTEGER NOT NULL DEFAULT 0,
        tokens_text_in          INTEGER NOT NULL DEFAULT 0,
        tokens_text_in_cached   INTEGER NOT NULL DEFAULT 0,
        tokens_audio_out        INTEGER NOT NULL DEFAULT 0,
        tokens_text_out         INTEGER NOT NULL DEFAULT 0,
        tokens_transcription    INTEGER NOT NULL DEFAULT 0,
        cost_usd             REAL NOT NULL DEFAULT 0,
        recording_file       TEXT
      );
      CREATE INDEX calls_by_start ON calls (started_at DESC);
      CREATE INDEX calls_by_end ON calls (ended_at);

      CREATE TABLE turns (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        call_sid     TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
        role         TEXT NOT NULL,
        text         TEXT NOT NULL,
        at           INTEGER NOT NULL,
        interrupted  INTEGER NOT NULL DEFAULT 0,
        heard_ms     INTEGER,
        spoken_ms    INTEGER,
        latency_ms   INTEGER
      );
      CREATE INDEX turns_by_call ON turns (call_sid, at, id);

      CREATE TABLE events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        call_sid     TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
        at           INTEGER NOT NULL,
        type         TEXT NOT NULL,
        summary      TEXT NOT NULL,
        detail_json  TEXT
      );
      CREATE INDEX events_by_call ON events (call_sid, at, id);
    `),
  // 2: input transcription billed by the duration of the audio rather than by tokens.
  (db) => db.exec('ALTER TABLE calls ADD COLUMN transcription_seconds REAL NOT NULL DEFAULT 0'),
  // 3: Twilio's status of each call (calls we placed may never connect). Every call recorded so far had a stream.
  (db) =>
    db.exec(`
      ALTER TABLE calls ADD COLUMN outcome TEXT;
      UPDATE calls SET outcome = CASE WHEN ended_at IS NULL THEN 'in-progress' ELSE 'completed' END;
    `),
  // 4: several instances share the records: which one has each call, and which are alive.
  (db) =>
    db.exec(`
      ALTER TABLE calls ADD COLUMN instance_id TEXT;
      CREATE TABLE instances (
        instance_id   TEXT PRIMARY KEY,
        heartbeat_at  INTEGER NOT NULL
      );
    `),
  // 5: what instances must agree on (a stream token used once, a transfer's number), each until it expires.
  (db) =>
    db.exec(`
      CREATE TABLE shared_state (
        key       TEXT PRIMARY KEY,
        value     TEXT NOT NULL,
        until_ms  INTEGER NOT NULL
      );
      CREATE INDEX shared_state_until ON shared_state (until_ms);
    `),
  // 6: work after a call, done by one instance at a time: its analysis (and result), and webhook deliveries.
  (db) =>
    db.exec(`
      CREATE TABLE call_analyses (
        call_sid          TEXT PRIMARY KEY REFERENCES calls (call_sid) ON DELETE CASCADE,
        status            TEXT NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        requested_at      INTEGER NOT NULL,
        next_attempt_at   INTEGER NOT NULL,
        lease_id          TEXT,
        lease_until       INTEGER,
        last_error        TEXT,
        finished_at       INTEGER,
        model             TEXT,
        summary           TEXT,
        fields_json       TEXT,
        tokens_in         INTEGER NOT NULL DEFAULT 0,
        tokens_in_cached  INTEGER NOT NULL DEFAULT 0,
        tokens_out        INTEGER NOT NULL DEFAULT 0,
        cost_usd          REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX call_analyses_due ON call_analyses (status, next_attempt_at);

      CREATE TABLE webhook_deliveries (
        id                TEXT PRIMARY KEY,
        call_sid          TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
        event_type        TEXT NOT NULL,
        payload           TEXT NOT NULL,
        status            TEXT NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL,
        next_attempt_at   INTEGER NOT NULL,
        lease_id          TEXT,
        lease_until       INTEGER,
        last_error        TEXT,
        finished_at       INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_by_call ON webhook_deliveries (call_sid, created_at);

      CREATE TABLE webhook_attempts (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        at           INTEGER NOT NULL,
        duration_ms  INTEGER NOT NULL,
        http_status  INTEGER,
        error        TEXT
      );
      CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, at, id);
    `),
  // 7: the overview's reply latencies and tool calls, read without the rest of each call's turns and events.
  (db) =>
    db.exec(`
      CREATE INDEX turns_reply_latency ON turns (call_sid, latency_ms) WHERE role = 'agent' AND latency_ms IS NOT NULL;
      CREATE INDEX events_tool_calls ON events (call_sid) WHERE type = 'tool-call';
    `),
];

/**
 * Brings the database up to `migrations.length`, one transaction per migration so a failure leaves the last good
 * version. Refuses a database written by a newer version of this program rather than guess at its schema.
 * Returns the number of migrations applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  // IMMEDIATE takes the write lock before the version is read, so two processes starting together never both
  // apply the same step: the second waits (busy_timeout), then finds it done.
  const next = db.transaction((): boolean => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) throw newerSchema(current, migrations.length, 'DATABASE_PATH at another file');
    if (current === migrations.length) return false;
    migrations[current](db);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  }).immediate;
  let applied = 0;
  while (next()) applied++;
  return applied;
}

/** The error for a database written by a newer program: it names both versions and what to do. */
export function newerSchema(found: number, known: number, elsewhere: string): Error {
  return new Error(
    `the call database is at schema version ${found}, newer than this program knows (${known}); ` +
      `upgrade the program or point ${elsewhere}`,
  );
}
