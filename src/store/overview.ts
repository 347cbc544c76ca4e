import { parseCallFilter } from './filter';
import type { CallOutcome, EndReason } from './types';

/**
 * The calls at a glance: counts, talk time, cost, endings, latencies, barge-ins, tool use and transfers, per day
 * and for a whole range. The stores aggregate in SQL (sqliteOverview.ts, postgresOverview.ts) into the rows below;
 * the pure helpers here turn those rows into an `Overview`, so both engines give the same answer.
 *
 * A call belongs to the day it started on, in local time (the server's time zone, as every time on the review
 * pages and the list's date filter), and all its numbers count on that day: its turns' reply latencies too.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The longest range an overview covers: a year of daily bars is the most a chart can show. */
export const MAX_OVERVIEW_DAYS = 366;
/** The range when none is asked for: today and the 29 days before it. */
export const DEFAULT_OVERVIEW_DAYS = 30;

/** From `from` on (epoch ms), local time is UTC plus `offsetMs`. */
export interface UtcOffsetStep {
  from: number;
  offsetMs: number;
}

/** Calls that started at or after `since` and before `until`, in days of local time as `offsets` say. */
export interface OverviewRange {
  since: number;
  until: number;
  /** Ascending; the first applies to everything before the second (whatever its `from`). At least one. */
  offsets: UtcOffsetStep[];
}

/**
 * Nearest-rank percentiles: of n values in ascending order, the p-th percentile is the value at rank ⌈p·n/100⌉
 * (1-based): always a value that occurred, and the same on both engines (integer arithmetic, no interpolation).
 * Null when there are no values.
 */
export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
}

export interface CallCounts {
  /** Calls that started then, whether or not they reached the agent. */
  calls: number;
  /** Calls that reached the agent (had a media stream). The rates below are per connected call. */
  connected: number;
  /** Calls that never reached the agent: busy, no answer, failed, canceled, or still ringing. */
  notConnected: number;
  /** Calls not ended yet: they count with their cost and latencies so far, and no talk time until they end. */
  open: number;
  /** Talk time of the connected calls that ended: answer to hang-up. */
  durationMs: number;
  /** Estimated, rounded to a millionth of a dollar. */
  costUsd: number;
  bargeIns: number;
  callsWithBargeIn: number;
  /** Barge-ins per connected call; null without connected calls. */
  bargeInsPerCall: number | null;
  /** Share (0–1) of connected calls with at least one barge-in; null without connected calls. */
  bargeInShare: number | null;
  /** Events of type tool-call. */
  toolCalls: number;
  callsWithToolCalls: number;
  /** Calls that ended by transferring the caller (end reason `transferred`). */
  transfers: number;
  /** Stream start → the agent's first audio, over the calls that have it. */
  firstAudioMs: Percentiles;
  /** End of the caller's speech → the agent's reply, over agent turns that have it. */
  replyMs: Percentiles;
}

export interface OverviewDay extends CallCounts {
  /** YYYY-MM-DD, local. */
  day: string;
}

/**
 * How calls ended, as the list says it: the end reason of the agent's part; for a call that never reached the
 * agent, Twilio's outcome (busy, no-answer, …); `in-progress` while neither is known.
 */
export interface OverviewEnding {
  ending: EndReason | CallOutcome;
  calls: number;
}

export interface Overview {
  since: number;
  until: number;
  totals: CallCounts;
  /** Every day of the range, those without calls too, oldest first. */
  days: OverviewDay[];
  /** Most frequent first. */
  endings: OverviewEnding[];
  /** Tool calls by tool name, most used first. */
  tools: Array<{ name: string; calls: number }>;
}

// --- What the SQL returns ------------------------------------------------------------------------------------
// Numbers may come back as strings (PostgreSQL's sums of bigints are numeric) or null (a sum of no rows).

type SqlNumber = number | string | null;

/** One row per local day number (days since 1970-01-01 in local time) that has calls. */
export interface DayRow {
  day: SqlNumber;
  calls: SqlNumber;
  connected: SqlNumber;
  open: SqlNumber;
  duration_ms: SqlNumber;
  cost_usd: SqlNumber;
  barge_ins: SqlNumber;
  calls_with_barge_in: SqlNumber;
  tool_calls: SqlNumber;
  calls_with_tool_calls: SqlNumber;
  transfers: SqlNumber;
}

/** Per day number, and one row with a null day for the whole range. */
export interface PercentileRow {
  day: SqlNumber;
  n: SqlNumber;
  p50: SqlNumber;
  p90: SqlNumber;
}

export interface OverviewRows {
  days: DayRow[];
  firstAudio: PercentileRow[];
  reply: PercentileRow[];
  endings: Array<{ ending: string; calls: SqlNumber }>;
  tools: Array<{ name: string | null; calls: SqlNumber }>;
}

/** Assembles what the SQL found into the overview of `range`. */
export function assembleOverview(range: OverviewRange, rows: OverviewRows): Overview {
  const byDay = new Map(rows.days.map((row) => [num(row.day), row]));
  const firstAudio = percentilesByDay(rows.firstAudio);
  const reply = percentilesByDay(rows.reply);
  const days = overviewDayNumbers(range).map((day) => ({
    day: dayKey(day),
    ...counts(byDay.get(day), firstAudio.get(day), reply.get(day)),
  }));
  const sum = (pick: (row: DayRow) => SqlNumber) => rows.days.reduce((total, row) => total + num(pick(row)), 0);
  const totalsRow: DayRow = {
    day: null,
    calls: sum((r) => r.calls),
    connected: sum((r) => r.connected),
    open: sum((r) => r.open),
    duration_ms: sum((r) => r.duration_ms),
    cost_usd: sum((r) => r.cost_usd),
    barge_ins: sum((r) => r.barge_ins),
    calls_with_barge_in: sum((r) => r.calls_with_barge_in),
    tool_calls: sum((r) => r.tool_calls),
    calls_with_tool_calls: sum((r) => r.calls_with_tool_calls),
    transfers: sum((r) => r.transfers),
  };
  return {
    since: range.since,
    until: range.until,
    totals: counts(totalsRow, firstAudio.get(null), reply.get(null)),
    days,
    endings: rows.endings
      .map((row) => ({ ending: row.ending as OverviewEnding['ending'], calls: num(row.calls) }))
      .sort((a, b) => b.calls - a.calls || a.ending.localeCompare(b.ending)),
    tools: rows.tools
      .map((row) => ({ name: row.name ?? 'unnamed', calls: num(row.calls) }))
      .sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name)),
  };
}

function counts(row: DayRow | undefined, firstAudioMs = NO_VALUES, replyMs = NO_VALUES): CallCounts {
  const calls = num(row?.calls);
  const connected = num(row?.connected);
  const bargeIns = num(row?.barge_ins);
  const callsWithBargeIn = num(row?.calls_with_barge_in);
  return {
    calls,
    connected,
    notConnected: calls - connected,
    open: num(row?.open),
    durationMs: num(row?.duration_ms),
    costUsd: Math.round(num(row?.cost_usd) * 1e6) / 1e6,
    bargeIns,
    callsWithBargeIn,
    bargeInsPerCall: connected > 0 ? bargeIns / connected : null,
    bargeInShare: connected > 0 ? callsWithBargeIn / connected : null,
    toolCalls: num(row?.tool_calls),
    callsWithToolCalls: num(row?.calls_with_tool_calls),
    transfers: num(row?.transfers),
    firstAudioMs,
    replyMs,
  };
}

const NO_VALUES: Percentiles = { count: 0, p50: null, p90: null };

function percentilesByDay(rows: PercentileRow[]): Map<number | null, Percentiles> {
  return new Map(
    rows
      .filter((row) => num(row.n) > 0)
      .map((row) => [row.day === null ? null : num(row.day), { count: num(row.n), p50: numOrNull(row.p50), p90: numOrNull(row.p90) }]),
  );
}

function num(value: SqlNumber | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function numOrNull(value: SqlNumber): number | null {
  return value === null ? null : Number(value);
}

/** The rank (1-based) of the p-th nearest-rank percentile of n values: ⌈p·n/100⌉, as the SQL computes it. */
export function nearestRank(p: number, n: number): number {
  return Math.floor((p * n + 99) / 100);
}

// --- Local days -----------------------------------------------------------------------------------------------

/** This process's UTC offset at `at`: what local time (the review pages' times) is. */
export function localOffsetMs(at: number): number {
  return -new Date(at).getTimezoneOffset() * 60_000;
}

/**
 * The UTC offset through [since, until) as steps, found by looking every hour (zones change offset a few times a
 * year at most, never twice within an hour) and pinning each change to the millisecond.
 */
export function utcOffsetSteps(since: number, until: number, offsetAt: (at: number) => number = localOffsetMs): UtcOffsetStep[] {
  const steps: UtcOffsetStep[] = [{ from: since, offsetMs: offsetAt(since) }];
  for (let before = since, at = since + HOUR_MS; before < until - 1; before = at, at += HOUR_MS) {
    const probe = Math.min(at, until - 1);
    const offsetMs = offsetAt(probe);
    if (offsetMs === steps[steps.length - 1].offsetMs) continue;
    let low = before; // the old offset
    let high = probe; // the new one
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetAt(middle) === offsetMs) high = middle;
      else low = middle;
    }
    steps.push({ from: high, offsetMs });
  }
  return steps;
}

/** The local day number (days since 1970-01-01, local) of `at`, as the SQL computes it. */
export function localDayNumber(at: number, offsets: UtcOffsetStep[]): number {
  let offsetMs = offsets[0].offsetMs;
  for (const step of offsets) if (at >= step.from) offsetMs = step.offsetMs;
  return Math.floor((at + offsetMs) / DAY_MS);
}

/** Every local day the range touches, oldest first. */
export function overviewDayNumbers(range: OverviewRange): number[] {
  if (range.until <= range.since) return [];
  const first = localDayNumber(range.since, range.offsets);
  const last = localDayNumber(range.until - 1, range.offsets);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** YYYY-MM-DD of a day number. */
export function dayKey(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/**
 * SQL for the local day number of `column` (epoch ms), for the offsets: `param` turns a value into the engine's
 * placeholder for it. Integer arithmetic on both engines; times before 1970 are not expected.
 */
export function dayNumberSql(column: string, offsets: UtcOffsetStep[], param: (value: number) => string): string {
  const later = offsets
    .slice(1)
    .reverse()
    .map((step) => `WHEN ${column} >= ${param(step.from)} THEN ${param(step.offsetMs)}`)
    .join(' ');
  const offset = later ? `CASE ${later} ELSE ${param(offsets[0].offsetMs)} END` : param(offsets[0].offsetMs);
  return `CAST((${column} + ${offset}) / ${DAY_MS} AS BIGINT)`;
}

// --- The range people ask for --------------------------------------------------------------------------------

export interface OverviewRangeInput {
  since?: string;
  until?: string;
}

export interface ParsedOverviewRange {
  range: OverviewRange;
  /** What could not be understood, one readable line each; the default is used for it. */
  problems: string[];
}

/**
 * The range from `since` and `until` as the list filter reads them (a date is local midnight and, as `until`,
 * includes that day; `7d`, `today`, ISO date-times). Without `since`, the 30 local days up to today; without
 * `until`, up to the end of today. A range backwards or longer than a year is refused.
 */
export function parseOverviewRange(input: OverviewRangeInput, now: number): ParsedOverviewRange {
  const { filter, problems } = parseCallFilter({ since: input.since, until: input.until }, now);
  const endOfToday = localMidnight(now, 1);
  let until = filter.until ?? endOfToday;
  let since = filter.since ?? localMidnight(Math.min(until - 1, now), 1 - DEFAULT_OVERVIEW_DAYS);
  if (since >= until) {
    problems.push('since: must be before until');
    [since, until] = [localMidnight(now, 1 - DEFAULT_OVERVIEW_DAYS), endOfToday];
  } else if (until - since > MAX_OVERVIEW_DAYS * DAY_MS) {
    problems.push(`the range is longer than ${MAX_OVERVIEW_DAYS} days: the overview shows at most a year`);
    since = localMidnight(until - 1, 1 - MAX_OVERVIEW_DAYS);
  }
  return { range: { since, until, offsets: utcOffsetSteps(since, until) }, problems };
}

/** Local midnight of the day `at` is on, moved by `days`. */
function localMidnight(at: number, days: number): number {
  const day = new Date(at);
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() + days);
  return day.getTime();
}

/** How many tool calls each call made, in one pass over the events (a subquery per call would run twice). */
export const TOOL_CALLS_PER_CALL = `(SELECT call_sid, count(*) AS n FROM events WHERE type = 'tool-call' GROUP BY call_sid)`;

/**
 * p50 and p90 of `values` (rows of day, value) per day, and a row with a null day for all of them (the same SQL on
 * both engines): from how many times each value occurs, the smallest value whose running count reaches the rank.
 * That sorts the distinct values rather than every one (half the work of ranking each row with ROW_NUMBER in
 * SQLite), for the same answer.
 */
function percentilesSql(values: string): string {
  const at = (p: number) => `min(CASE WHEN upto >= (${p} * n + 99) / 100 THEN value END)`;
  return `
    WITH counted AS (SELECT day, value, count(*) AS k FROM (${values}) AS source GROUP BY day, value),
    by_day AS (
      SELECT day, value,
        CAST(sum(k) OVER (PARTITION BY day ORDER BY value ROWS UNBOUNDED PRECEDING) AS BIGINT) AS upto,
        CAST(sum(k) OVER (PARTITION BY day) AS BIGINT) AS n
      FROM counted
    ),
    by_value AS (SELECT value, sum(k) AS k FROM counted GROUP BY value),
    overall AS (
      SELECT value, CAST(sum(k) OVER (ORDER BY value ROWS UNBOUNDED PRECEDING) AS BIGINT) AS upto, CAST(sum(k) OVER () AS BIGINT) AS n
      FROM by_value
    )
    SELECT day, max(n) AS n, ${at(50)} AS p50, ${at(90)} AS p90 FROM by_day GROUP BY day
    UNION ALL
    SELECT NULL, max(n), ${at(50)}, ${at(90)} FROM overall`;
}

/**
 * The parts of an overview that are the same SQL on both engines, for a day expression and a range condition in
 * the engine's own placeholders: the percentiles of first audio and of reply latency, and how calls ended.
 */
export function commonOverviewSql(day: string, inRange: string): { firstAudio: string; reply: string; endings: string } {
  return {
    firstAudio: percentilesSql(`SELECT ${day} AS day, first_audio_ms AS value FROM calls WHERE ${inRange} AND first_audio_ms IS NOT NULL`),
    reply: percentilesSql(`
      SELECT ${day} AS day, turns.latency_ms AS value
      FROM calls JOIN turns ON turns.call_sid = calls.call_sid
      WHERE ${inRange} AND turns.role = 'agent' AND turns.latency_ms IS NOT NULL`),
    // As describeCallEnd words it: the end reason, else Twilio's outcome once it is more than in-progress.
    endings: `
      SELECT CASE WHEN end_reason IS NOT NULL THEN end_reason
                  WHEN outcome IS NOT NULL AND outcome <> 'in-progress' THEN outcome
                  ELSE 'in-progress' END AS ending,
        count(*) AS calls
      FROM calls WHERE ${inRange} GROUP BY ending`,
  };
}
