/**
 * The call overview on 100,000 calls: `npm run bench -- --overview` (or `npx tsx scripts/bench/overview.ts`).
 *
 * Seeds the same 100,000 calls (with their turns and events, over 90 days) into a temporary SQLite file and a
 * throwaway PostgreSQL schema (127.0.0.1:5432, database test, as the tests use; OVERVIEW_BENCH_POSTGRES_URL for
 * another), times `overview()` over the last 30 and the whole 90 days on each, and checks both engines gave the same
 * answer: first without the two partial indexes the schema has for the overview (migration 7), then with them, to
 * show what they save.
 * Timings are the best and the median of several runs after a warm-up: the machine is shared and noisy.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore, openSqliteStore, utcOffsetSteps, type CallStore, type Overview, type OverviewRange } from '../../src/store';
import { seededRandom } from '../../test/support/signal';

const CALLS = Number(process.env.OVERVIEW_BENCH_CALLS ?? 100_000);
const DAYS = 90;
const RUNS = 7;
const DAY_MS = 86_400_000;
const POSTGRES_URL = process.env.OVERVIEW_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOOLS = ['check_availability', 'book_appointment', 'lookup_order', 'get_current_time', 'transfer_call'];
/** The schema's indexes that serve only the overview (migration 7), as the migrations create them on both engines. */
const OVERVIEW_INDEXES = [
  "CREATE INDEX turns_reply_latency ON turns (call_sid, latency_ms) WHERE role = 'agent' AND latency_ms IS NOT NULL",
  "CREATE INDEX events_tool_calls ON events (call_sid) WHERE type = 'tool-call'",
];
const DROP_OVERVIEW_INDEXES = ['DROP INDEX turns_reply_latency', 'DROP INDEX events_tool_calls'];
const END_REASONS = ['caller-hung-up', 'caller-hung-up', 'caller-hung-up', 'agent-ended', 'agent-ended', 'idle-timeout', 'max-duration', 'model-error'];

interface Rows {
  calls: unknown[][];
  turns: unknown[][];
  events: unknown[][];
}

/** Calls like a busy line's: mostly answered, some never connected, a few still open; turns, tool calls, barge-ins. */
export function makeCalls(now: number): Rows {
  const next = seededRandom(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const rows: Rows = { calls: [], turns: [], events: [] };
  for (let i = 0; i < CALLS; i++) {
    const callSid = `CA${String(i).padStart(32, '0')}`;
    // More calls in the day than at night.
    const day = Math.floor(next() * DAYS);
    const hour = 7 + next() * 12 + (next() < 0.15 ? next() * 5 : 0);
    const startedAt = Math.floor(now - (day + 1) * DAY_MS + hour * 3_600_000);
    const roll = next();
    if (roll < 0.07) {
      // Never connected: busy, no answer, failed.
      const outcome = pick(['busy', 'no-answer', 'no-answer', 'failed']);
      rows.calls.push([callSid, '', 'outbound', startedAt, startedAt, startedAt + 20_000, null, outcome, 0, null, 0]);
      continue;
    }
    const answeredAt = startedAt + 300 + Math.floor(next() * 700);
    const open = roll > 0.998;
    const lengthMs = Math.floor(15_000 + -Math.log(1 - next()) * 120_000);
    const turns = 2 + Math.floor(next() * 11);
    let bargeIns = 0;
    let at = answeredAt + 800;
    for (let t = 0; t < turns; t++) {
      const agent = t % 2 === 0;
      const interrupted = agent && next() < 0.12;
      if (interrupted) bargeIns++;
      const spokenMs = agent ? Math.floor(1500 + next() * 9000) : null;
      const heardMs = agent ? (interrupted ? Math.floor(spokenMs! * next()) : spokenMs) : null;
      const latencyMs = agent && t > 0 ? Math.floor(350 + -Math.log(1 - next()) * 400) : null;
      rows.turns.push([callSid, agent ? 'agent' : 'caller', agent ? 'Of course, let me check that for you.' : 'I would like to book a cleaning.', at, interrupted, heardMs, spokenMs, latencyMs]);
      at += 2000 + Math.floor(next() * 6000);
    }
    const tools = next() < 0.6 ? Math.floor(next() * 4) : 0;
    for (let k = 0; k < tools; k++) {
      const name = pick(TOOLS);
      rows.events.push([callSid, answeredAt + 5000 + k * 3000, 'tool-call', `${name} → ok`, JSON.stringify({ name, arguments: {} })]);
    }
    for (let b = 0; b < bargeIns; b++) rows.events.push([callSid, answeredAt + 4000 + b * 5000, 'barge-in', 'caller interrupted the agent', null]);
    const endReason = open ? null : next() < 0.08 ? 'transferred' : pick(END_REASONS);
    const firstAudioMs = Math.floor(500 + -Math.log(1 - next()) * 300);
    const costUsd = Math.round((lengthMs / 60_000) * (0.08 + next() * 0.1) * 1e6) / 1e6;
    rows.calls.push([callSid, `MZ${i}`, 'inbound', startedAt, answeredAt, open ? null : answeredAt + lengthMs, endReason, open ? 'in-progress' : 'completed', bargeIns, firstAudioMs, costUsd]);
  }
  return rows;
}

const CALL_COLUMNS = 'call_sid, stream_sid, direction, started_at, answered_at, ended_at, end_reason, outcome, barge_ins, first_audio_ms, cost_usd';
const CALL_FIXED = { from_number: '+15550001111', to_number: '+15559990000', model: 'gpt-realtime', voice: 'marin', persona_name: 'Ada', audio_mode: 'pcm16' };
const TURN_COLUMNS = 'call_sid, role, text, at, interrupted, heard_ms, spoken_ms, latency_ms';
const EVENT_COLUMNS = 'call_sid, at, type, summary, detail_json';

export function seedSqlite(file: string, rows: Rows): void {
  const db = new Database(file);
  const fixedColumns = Object.keys(CALL_FIXED).join(', ');
  const fixedValues = Object.values(CALL_FIXED).map((v) => `'${v}'`).join(', ');
  const call = db.prepare(`INSERT INTO calls (${CALL_COLUMNS}, ${fixedColumns}) VALUES (${'?, '.repeat(11)}${fixedValues})`);
  const turn = db.prepare(`INSERT INTO turns (${TURN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const event = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const r of rows.calls) call.run(...r);
    for (const r of rows.turns) turn.run(...r.map((v) => (typeof v === 'boolean' ? Number(v) : v)));
    for (const r of rows.events) event.run(...r);
  })();
  db.exec('ANALYZE');
  db.close();
}

export async function seedPostgres(url: string, rows: Rows): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // unnest over one array per column: a batch of rows in one statement.
    const insert = async (table: string, columns: string, types: string[], data: unknown[][], extra = '') => {
      const names = columns.split(', ');
      const fixed = extra ? Object.keys(CALL_FIXED) : [];
      for (let from = 0; from < data.length; from += 20_000) {
        const batch = data.slice(from, from + 20_000);
        const arrays = types.map((_, c) => batch.map((row) => row[c]));
        const selects = [...types.map((type, c) => `$${c + 1}::${type}[]`)];
        await client.query(
          `INSERT INTO ${table} (${[...names, ...fixed].join(', ')})
           SELECT *${extra} FROM unnest(${selects.join(', ')})`,
          arrays,
        );
      }
    };
    const fixedValues = Object.values(CALL_FIXED).map((v) => `, '${v}'`).join('');
    await insert('calls', CALL_COLUMNS, ['text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'text', 'text', 'int', 'int', 'float8'], rows.calls, fixedValues);
    await insert('turns', TURN_COLUMNS, ['text', 'text', 'text', 'bigint', 'bool', 'int', 'int', 'int'], rows.turns);
    await insert('events', EVENT_COLUMNS, ['text', 'bigint', 'text', 'text', 'text'], rows.events);
    await client.query('VACUUM ANALYZE calls');
    await client.query('VACUUM ANALYZE turns');
    await client.query('VACUUM ANALYZE events');
  } finally {
    await client.end();
  }
}

interface Timing {
  best: number;
  median: number;
  /** CPU time of this process, best run: all of SQLite's work (it runs in-process), only the client's for PostgreSQL. */
  cpu: number;
  overview: Overview;
}

async function time(store: CallStore, range: OverviewRange): Promise<Timing> {
  let overview = await store.overview(range); // warm-up: caches, statement plans
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    overview = await store.overview(range);
    const used = process.cpuUsage(cpuStarted);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    cpu.push((used.user + used.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  return { best: ms[0], median: ms[Math.floor(ms.length / 2)], cpu: Math.min(...cpu), overview };
}

export async function overviewBench(): Promise<void> {
  const now = Date.now();
  const ranges: Array<[string, OverviewRange]> = [30, DAYS].map((days) => {
    const since = now - days * DAY_MS;
    return [`${days} days`, { since, until: now, offsets: utcOffsetSteps(since, now) }];
  });
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
  let started = Date.now();
  const rows = makeCalls(now);
  console.log(`${rows.calls.length.toLocaleString('en-US')} calls, ${rows.turns.length.toLocaleString('en-US')} turns, ${rows.events.length.toLocaleString('en-US')} events over ${DAYS} days (made in ${Date.now() - started} ms)`);

  const dir = mkdtempSync(path.join(tmpdir(), 'overview-bench-'));
  const schema = `overview_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const results: Array<Record<string, string>> = [];
  const answers = new Map<string, Overview>();
  try {
    const file = path.join(dir, 'calls.db');
    await openSqliteStore(file).shutdown(); // the schema, migrated
    await runOnBoth(file, undefined, DROP_OVERVIEW_INDEXES);
    started = Date.now();
    seedSqlite(file, rows);
    console.log(`SQLite seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    await (await openPostgresStore(url, { poolSize: 2, connectTimeoutMs: 5000 })).shutdown();
    await runOnBoth(undefined, url, DROP_OVERVIEW_INDEXES);
    started = Date.now();
    await seedPostgres(url, rows);
    console.log(`PostgreSQL seeded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    const engines: Array<[string, () => Promise<CallStore>]> = [
      ['SQLite', async () => openSqliteStore(file)],
      ['PostgreSQL', () => openPostgresStore(url, { poolSize: 2, connectTimeoutMs: 5000 })],
    ];
    for (const indexes of ['without', 'as migrated']) {
      if (indexes === 'as migrated') await runOnBoth(file, url, OVERVIEW_INDEXES);
      for (const [engine, open] of engines) {
        const store = await open();
        try {
          for (const [name, range] of ranges) {
            const timing = await time(store, range);
            answers.set(`${engine} ${name} ${indexes}`, timing.overview);
            results.push({
              engine,
              indexes,
              range: name,
              calls: timing.overview.totals.calls.toLocaleString('en-US'),
              'best ms': timing.best.toFixed(0),
              'median ms': timing.median.toFixed(0),
              'cpu ms here': timing.cpu.toFixed(0),
            });
          }
        } finally {
          await store.shutdown();
        }
      }
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`overview(), best and median wall time of ${RUNS} runs after a warm-up; cpu ms here: this process's CPU time`);
  console.log(`(SQLite's whole work; for PostgreSQL only the client's) in the best run, steadier than wall time on a busy machine`);
  console.table(results);
  for (const [name] of ranges) {
    const all = ['SQLite', 'PostgreSQL'].flatMap((engine) => ['without', 'as migrated'].map((indexes) => answers.get(`${engine} ${name} ${indexes}`)));
    const same = all.every((answer) => isDeepStrictEqual(answer, all[0]));
    console.log(`${name}: both engines, with and without the overview's indexes, gave ${same ? 'the same overview' : 'DIFFERENT overviews'}`);
    if (!same) process.exitCode = 1;
  }
  console.log(`the overview's indexes:\n${OVERVIEW_INDEXES.map((sql) => `  ${sql};`).join('\n')}`);
}

/** Runs the statements on the SQLite file and in the PostgreSQL schema (either may be left out), then updates the planners' statistics. */
async function runOnBoth(file: string | undefined, url: string | undefined, statements: string[]): Promise<void> {
  if (file) {
    const db = new Database(file);
    for (const sql of statements) db.exec(sql);
    db.exec('ANALYZE');
    db.close();
  }
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
    for (const table of ['turns', 'events']) await client.query(`ANALYZE ${table}`);
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  overviewBench().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
