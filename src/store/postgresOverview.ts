import type pg from 'pg';
import { assembleOverview, commonOverviewSql, dayNumberSql, TOOL_CALLS_PER_CALL, type DayRow, type Overview, type OverviewRange, type OverviewRows, type PercentileRow } from './overview';

/**
 * The overview of a range in PostgreSQL's words (overview.ts says what each number means). Percentiles are
 * nearest-rank from running counts of each day's values, as sqliteOverview.ts computes them, rather than
 * percentile_cont (which interpolates) or percentile_disc (float arithmetic): the same integer rule on both
 * engines gives the same numbers. All of it in one read-only snapshot, so the charts agree with each other while
 * calls are being written.
 */
export async function postgresOverview(pool: pg.Pool, range: OverviewRange): Promise<Overview> {
  const params: unknown[] = [range.since, range.until];
  const param = (value: number) => `$${params.push(value)}::bigint`;
  const day = dayNumberSql('calls.started_at', range.offsets, param);
  const inRange = 'calls.started_at >= $1::bigint AND calls.started_at < $2::bigint';

  const days = `
    SELECT day, count(*) AS calls, count(*) FILTER (WHERE connected) AS connected,
      count(*) FILTER (WHERE ended_at IS NULL) AS open,
      coalesce(sum(ended_at - answered_at) FILTER (WHERE connected AND ended_at > answered_at), 0) AS duration_ms,
      sum(cost_usd) AS cost_usd, sum(barge_ins) AS barge_ins, count(*) FILTER (WHERE barge_ins > 0) AS calls_with_barge_in,
      sum(tool_calls) AS tool_calls, count(*) FILTER (WHERE tool_calls > 0) AS calls_with_tool_calls,
      count(*) FILTER (WHERE end_reason = 'transferred') AS transfers
    FROM (
      SELECT ${day} AS day, stream_sid <> '' AS connected, ended_at, answered_at, cost_usd, barge_ins, end_reason,
        coalesce(tools.n, 0) AS tool_calls
      FROM calls LEFT JOIN ${TOOL_CALLS_PER_CALL} AS tools ON tools.call_sid = calls.call_sid
      WHERE ${inRange}
    ) AS in_range
    GROUP BY day`;
  const { firstAudio, reply, endings } = commonOverviewSql(day, inRange);
  const tools = `
    SELECT events.detail_json::jsonb ->> 'name' AS name, count(*) AS calls
    FROM calls JOIN events ON events.call_sid = calls.call_sid
    WHERE ${inRange} AND events.type = 'tool-call'
    GROUP BY 1`;

  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // PostgreSQL wants exactly the parameters a statement uses: the day's offsets only where the day is.
    const all = async <R extends pg.QueryResultRow>(sql: string, values = params) => (await client.query<R>(sql, values)).rows;
    const rows: OverviewRows = {
      days: await all<DayRow>(days),
      firstAudio: await all<PercentileRow>(firstAudio),
      reply: await all<PercentileRow>(reply),
      endings: await all<OverviewRows['endings'][number]>(endings, params.slice(0, 2)),
      tools: await all<OverviewRows['tools'][number]>(tools, params.slice(0, 2)),
    };
    await client.query('COMMIT');
    return assembleOverview(range, rows);
  } catch (err) {
    await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
    throw err;
  } finally {
    // A connection that could not even roll back is not handed out again.
    client.release(broken);
  }
}
