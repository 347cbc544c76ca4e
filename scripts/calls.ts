/**
 * Call records on the command line.
 *
 *   npm run calls -- list [--since 7d] [--until 2025-05-31] [--number 5550142] [--reason transferred]
 *                         [--direction outbound] [--outcome no-answer] [--search "parking"] [--limit 20] [--json]
 *   npm run calls -- show <callSid> [--json]
 *   npm run calls -- analyze <callSid>
 *
 * Reads DATABASE_URL (PostgreSQL) when set, else DATABASE_PATH (SQLite; default data/calls.db), from the
 * environment or .env. Needs no API key.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAsCommand, type CommandIo } from './command';
import { analyzeNow } from './analyzeCall';
import { renderCallListText, renderCallText, renderInsightsText } from '../src/review';
import {
  CALL_OUTCOMES,
  describeStore,
  DIRECTIONS,
  openPostgresStore,
  openSqliteStore,
  parseCallFilter,
  recordingsDirFor,
  type CallStore,
} from '../src/store';

/** The same defaults as src/config.ts; read on their own so listing calls never needs the rest of the config. */
const DEFAULT_DATABASE_PATH = 'data/calls.db';
const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

const USAGE = `Usage:
  npm run calls -- list [options]      calls, newest first
  npm run calls -- show <callSid>      one call: transcript, events, latency, cost (the start of the SID will do)
  npm run calls -- analyze <callSid>   analyse the call now (again), with ANALYSIS_MODEL and OPENAI_API_KEY

List options:
  --since <when>     calls that started at or after: 2025-05-01, 2025-05-01T09:00, today, yesterday, 24h, 7d
  --until <when>     calls that started before (a date includes that whole day)
  --number <digits>  the caller's or called number contains these digits
  --reason <reason>  how the call ended, e.g. caller-hung-up, transferred, idle-timeout, model-error
  --direction <dir>  ${DIRECTIONS.join(', ')}
  --outcome <status> Twilio's status of the call: ${CALL_OUTCOMES.join(', ')}
  --search <text>    words said in the call, a number or a call SID
  --analysis <state> the call's analysis: done, pending, failed, or none
  --field <name=value>  a field of its analysis has this value, e.g. sentiment=negative or follow_up_needed=true
  --limit <n>        at most n calls (default 20)
Both:
  --json             machine-readable output (the same shape as GET /api/calls)
  --db <file>        an SQLite call database (default: DATABASE_URL for PostgreSQL, else DATABASE_PATH, else
                     ${DEFAULT_DATABASE_PATH})
`;

export interface CliIo extends CommandIo {
  /** Colours and terminal width; off and 100 columns when not a terminal. */
  color?: boolean;
  columns?: number;
  now?: number;
}

/** Runs the CLI and resolves to the exit code: 0 ok, 1 not found or no database, 2 bad usage. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        number: { type: 'string' },
        reason: { type: 'string' },
        direction: { type: 'string' },
        outcome: { type: 'string' },
        search: { type: 'string' },
        analysis: { type: 'string' },
        field: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command !== 'list' && command !== 'show' && command !== 'analyze') {
    io.err(`${command ? `Unknown command "${command}".` : 'Say what to do: list, show or analyze.'}\n\n${USAGE}`);
    return 2;
  }
  if ((command === 'show' || command === 'analyze') && rest.length !== 1) {
    io.err(`${command} needs exactly one call SID, e.g. npm run calls -- ${command} CA1234...\n\n${USAGE}`);
    return 2;
  }
  if (command === 'analyze') return analyzeNow(rest[0], values.db, io);

  const databasePath = values.db ?? (io.env.DATABASE_PATH?.trim() || DEFAULT_DATABASE_PATH);
  const databaseUrl = values.db === undefined ? io.env.DATABASE_URL?.trim() || undefined : undefined;
  const recordingsDir = io.env.RECORDINGS_DIR?.trim() || recordingsDirFor(databasePath);
  if (!databaseUrl && !existsSync(databasePath)) {
    // Do not create an empty database just by looking: there is simply nothing recorded yet.
    if (command === 'list' && values.json) io.out(`${JSON.stringify({ calls: [] }, null, 2)}\n`);
    io.err(`No call database at ${databasePath} yet: the server creates it when it starts (DATABASE_PATH).\n`);
    return command === 'list' ? 0 : 1;
  }

  let store: CallStore;
  try {
    // One connection is all a command needs.
    store = databaseUrl
      ? await openPostgresStore(databaseUrl, { poolSize: 1, connectTimeoutMs: DATABASE_CONNECT_TIMEOUT_MS })
      : openSqliteStore(databasePath);
  } catch (err) {
    const { engine, at } = describeStore({ databasePath, databaseUrl });
    io.err(`Cannot open the call database (${engine}, ${at}): ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const style = { color: io.color ?? false, width: io.columns ?? 100 };
    if (command === 'show') return await show(store, rest[0], recordingsDir, values.json, style, io);

    const { filter, problems } = parseCallFilter(
      {
        since: values.since,
        until: values.until,
        number: values.number,
        reason: values.reason,
        direction: values.direction,
        outcome: values.outcome,
        search: values.search,
        analysis: values.analysis,
        field: values.field,
        limit: values.limit,
      },
      io.now ?? Date.now(),
    );
    if (problems.length > 0) {
      io.err(`${problems.join('\n')}\n`);
      return 2;
    }
    const calls = await store.list({ limit: 20, ...filter });
    io.out(values.json ? `${JSON.stringify({ calls }, null, 2)}\n` : renderCallListText(calls, style));
    return 0;
  } finally {
    await store.shutdown();
  }
}

async function show(
  store: CallStore,
  callSid: string,
  recordingsDir: string,
  json: boolean,
  style: { color: boolean; width: number },
  io: CliIo,
): Promise<number> {
  // The start of a SID is enough when only one call has it (they are long to type).
  const similar = (await store.get(callSid)) ? [] : (await store.list({ search: callSid, limit: 5 })).map((c) => c.callSid);
  const byPrefix = similar.filter((sid) => sid.startsWith(callSid));
  const call = await store.get(byPrefix.length === 1 ? byPrefix[0] : callSid);
  if (!call) {
    io.err(`No call ${callSid}.${similar.length ? ` Did you mean: ${similar.join(', ')}?` : ''}\n`);
    return 1;
  }
  if (json) {
    io.out(`${JSON.stringify(call, null, 2)}\n`);
    return 0;
  }
  const recording = call.recordingFile ? path.join(recordingsDir, path.basename(call.recordingFile)) : undefined;
  io.out(renderCallText(call, style, recording && existsSync(recording) ? recording : undefined));
  io.out(renderInsightsText(await store.analysisOf(call.callSid), await store.deliveriesOf(call.callSid)));
  return 0;
}

if (require.main === module) runAsCommand(main, { color: process.stdout.isTTY === true && !process.env.NO_COLOR, columns: process.stdout.columns });
