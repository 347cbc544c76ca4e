import type Database from 'better-sqlite3';
import { assembleOverview, commonOverviewSql, dayNumberSql, TOOL_CALLS_PER_CALL, type DayRow, type Overview, type OverviewRange, type OverviewRows, type PercentileRow } from './overview';

/**
 * The overview of a range in SQLite's words (overview.ts says what each number means). SQLite has no percentile
 * aggregate: nearest-rank percentiles come from running counts of each day's values (window sums), in integer
 * arithmetic, as postgresOverview.ts does. All of it in one read transaction, so the charts agree with each other
 * while calls are being written.
 */
export function sqliteOverview(db: Database.Database, range: OverviewRange): Overview {
  const params: Record<string, number> = { since: range.since, until: range.until };
  const param = (value: number) => {
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    return `@${name}`;
  };
  const day = dayNumberSql('calls.started_at', range.offsets, param);
  const inRange = 'calls.started_at >= @since AND calls.started_at < @until';

  const days = `
    SELECT day, count(*) AS calls, sum(connected) AS connected, sum(ended_at IS NULL) AS open,
      sum(CASE WHEN connected AND ended_at > answered_at THEN ended_at - answered_at ELSE 0 END) AS duration_ms,
      sum(cost_usd) AS cost_usd, sum(barge_ins) AS barge_ins, sum(barge_ins > 0) AS calls_with_barge_in,
      sum(tool_calls) AS tool_calls, sum(tool_calls > 0) AS calls_with_tool_calls,
      sum(coalesce(end_reason = 'transferred', 0)) AS transfers
    FROM (
      SELECT ${day} AS day, stream_sid <> '' AS connected, ended_at, answered_at, cost_usd, barge_ins, end_reason,
        coalesce(tools.n, 0) AS tool_calls
      FROM calls LEFT JOIN ${TOOL_CALLS_PER_CALL} AS tools ON tools.call_sid = calls.call_sid
      WHERE ${inRange}
    )
    GROUP BY day`;
  const { firstAudio, reply, endings } = commonOverviewSql(day, inRange);
  const tools = `
    SELECT json_extract(events.detail_json, '$.name') AS name, count(*) AS calls
    FROM calls JOIN events ON events.call_sid = calls.call_sid
    WHERE ${inRange} AND events.type = 'tool-call'
    GROUP BY name`;

  const all = <R>(sql: string) => db.prepare<[Record<string, number>], R>(sql).all(params);
  const rows = db.transaction(
    (): OverviewRows => ({
      days: all<DayRow>(days),
      firstAudio: all<PercentileRow>(firstAudio),
      reply: all<PercentileRow>(reply),
      endings: all<OverviewRows['endings'][number]>(endings),
      tools: all<OverviewRows['tools'][number]>(tools),
    }),
  )();
  return assembleOverview(range, rows);
}
