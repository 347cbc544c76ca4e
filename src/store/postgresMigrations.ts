import type { ClientBase } from 'pg';
import { newerSchema } from './migrations';

/**
 * PostgreSQL schema migrations: the same steps as the SQLite list (migrations.ts), in PostgreSQL's words, so schema
 * version N is the same schema on both engines. Applied in order, each once: `schema_version` has a row per step
 * applied. Never edit a released one: add a new step at the end of both lists.
 *
 * Times are epoch milliseconds in BIGINT (read back as numbers); `seq` orders calls that started at the same
 * millisecond as SQLite's rowid does.
 */
export type PostgresMigration = string;

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  // 1: calls, their turns (the transcript as heard) and their events.
  `
    CREATE TABLE calls (
      call_sid             TEXT PRIMARY KEY,
      seq                  BIGINT GENERATED ALWAYS AS IDENTITY,
      stream_sid           TEXT NOT NULL,
      direction            TEXT NOT NULL,
      from_number          TEXT NOT NULL,
      to_number            TEXT NOT NULL,
      started_at           BIGINT NOT NULL,
      answered_at          BIGINT NOT NULL,
      ended_at             BIGINT,
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
      cost_usd             DOUBLE PRECISION NOT NULL DEFAULT 0,
      recording_file       TEXT
    );
    CREATE INDEX calls_by_start ON calls (started_at DESC, seq DESC);
    CREATE INDEX calls_by_end ON calls (ended_at);

    CREATE TABLE turns (
      id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      call_sid     TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      role         TEXT NOT NULL,
      text         TEXT NOT NULL,
      at           BIGINT NOT NULL,
      interrupted  BOOLEAN NOT NULL DEFAULT false,
      heard_ms     INTEGER,
      spoken_ms    INTEGER,
      latency_ms   INTEGER
    );
    CREATE INDEX turns_by_call ON turns (call_sid, at, id);

    CREATE TABLE events (
      id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      call_sid     TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      at           BIGINT NOT NULL,
      type         TEXT NOT NULL,
      summary      TEXT NOT NULL,
      detail_json  TEXT
    );
    CREATE INDEX events_by_call ON events (call_sid, at, id);
  `,
  // 2: input transcription billed by the duration of the audio rather than by tokens.
  `ALTER TABLE calls ADD COLUMN transcription_seconds DOUBLE PRECISION NOT NULL DEFAULT 0`,
  // 3: Twilio's status of each call (calls we placed may never connect).
  `
    ALTER TABLE calls ADD COLUMN outcome TEXT;
    UPDATE calls SET outcome = CASE WHEN ended_at IS NULL THEN 'in-progress' ELSE 'completed' END;
  `,
  // 4: several instances share the records: which one has each call, and which are alive.
  `
    ALTER TABLE calls ADD COLUMN instance_id TEXT;
    CREATE TABLE instances (
      instance_id   TEXT PRIMARY KEY,
      heartbeat_at  BIGINT NOT NULL
    );
  `,
  // 5: what instances must agree on (a stream token used once, a transfer's number), each until it expires.
  `
    CREATE TABLE shared_state (
      key       TEXT PRIMARY KEY,
      value     TEXT NOT NULL,
      until_ms  BIGINT NOT NULL
    );
    CREATE INDEX shared_state_until ON shared_state (until_ms);
  `,
  // 6: work after a call, done by one instance at a time: its analysis (and result), and webhook deliveries.
  `
    CREATE TABLE call_analyses (
      call_sid          TEXT PRIMARY KEY REFERENCES calls (call_sid) ON DELETE CASCADE,
      status            TEXT NOT NULL,
      attempts          INTEGER NOT NULL DEFAULT 0,
      requested_at      BIGINT NOT NULL,
      next_attempt_at   BIGINT NOT NULL,
      lease_id          TEXT,
      lease_until       BIGINT,
      last_error        TEXT,
      finished_at       BIGINT,
      model             TEXT,
      summary           TEXT,
      fields_json       TEXT,
      tokens_in         INTEGER NOT NULL DEFAULT 0,
      tokens_in_cached  INTEGER NOT NULL DEFAULT 0,
      tokens_out        INTEGER NOT NULL DEFAULT 0,
      cost_usd          DOUBLE PRECISION NOT NULL DEFAULT 0
    );
    CREATE INDEX call_analyses_due ON call_analyses (status, next_attempt_at);

    CREATE TABLE webhook_deliveries (
      id                TEXT PRIMARY KEY,
      call_sid          TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      event_type        TEXT NOT NULL,
      payload           TEXT NOT NULL,
      status            TEXT NOT NULL,
      attempts          INTEGER NOT NULL DEFAULT 0,
      created_at        BIGINT NOT NULL,
      next_attempt_at   BIGINT NOT NULL,
      lease_id          TEXT,
      lease_until       BIGINT,
      last_error        TEXT,
      finished_at       BIGINT
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
    CREATE INDEX webhook_deliveries_by_call ON webhook_deliveries (call_sid, created_at);

    CREATE TABLE webhook_attempts (
      id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      at           BIGINT NOT NULL,
      duration_ms  INTEGER NOT NULL,
      http_status  INTEGER,
      error        TEXT
    );
    CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, at, id);
  `,
  // 7: the overview's reply latencies and tool calls, read without the rest of each call's turns and events.
  `
    CREATE INDEX turns_reply_latency ON turns (call_sid, latency_ms) WHERE role = 'agent' AND latency_ms IS NOT NULL;
    CREATE INDEX events_tool_calls ON events (call_sid) WHERE type = 'tool-call';
  `,
];

/** The first key of the advisory lock that migrations take; the second is the schema's, so schemas never wait on each other. */
const MIGRATION_LOCK = 0x63616c6c; // "call"

/**
 * Brings the schema on the connection's search path up to `migrations.length`, one transaction per step so a
 * failure leaves the last good version. Each step holds a transaction-scoped advisory lock and reads the version
 * under it, so instances starting together take turns: the first applies a step, the others find it done.
 * Refuses a schema written by a newer version of this program. Resolves to the number of steps this call applied.
 */
export async function migratePostgres(client: ClientBase, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number> {
  let applied = 0;
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_version');
      const current = rows[0].version;
      if (current > migrations.length) throw newerSchema(current, migrations.length, 'DATABASE_URL at another database or schema');
      if (current === migrations.length) {
        await client.query('COMMIT');
        return applied;
      }
      await client.query(migrations[current]);
      await client.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [current + 1, Date.now()]);
      await client.query('COMMIT');
      applied++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}
